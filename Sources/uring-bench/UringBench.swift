import ArgumentParser

/// The benchmark runner: an echo server and a load generator on AsyncUringSocket, and the
/// `run` job that measures them against the SwiftNIO peers and the C yardsticks; `http-run`
/// measures HTTP servers with wrk against nginx; `report` draws the figures of any of them as
/// one HTML page and `compare` judges one run's results against another's; `doctor` checks
/// that io_uring works on this machine.
@main
struct UringBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uring-bench",
        abstract: "Echo benchmarks for AsyncUringSocket.",
        subcommands: [
            EchoServerCommand.self, HTTPServerCommand.self, EchoClientCommand.self, RunCommand.self,
            HTTPRunCommand.self, ReportCommand.self, CompareCommand.self, DoctorCommand.self,
            UDPEchoServerCommand.self, FileReadCommand.self, FileRunCommand.self,
        ]
    )
}
