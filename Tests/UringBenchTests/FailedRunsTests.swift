import Testing

@testable import uring_bench

/// Which failed runs fail the runners' exit status: those of servers built on this package;
/// a peer's failures are its result (reported, drawn as failures), so a main job that always
/// meets Hummingbird-on-NIO's timeouts under pipelining still ends well when ours did.
@Suite struct FailedRunsTests {
    @Test func echoAndUDPRunsFailTheCommandOnlyForOurServers() {
        let peerFailed = [
            SummaryTests.record("nio-echo-async", repetition: 1, rps: 10, errors: 2),
            SummaryTests.record("udp_echo", repetition: 1, rps: 10, exitStatus: 1),
        ]
        #expect(peerFailed.allSatisfy { !$0.isSuccess })
        #expect(!RunRecord.failsTheCommand(peerFailed))
        for ours in ["async-uring", "async-uring-epoll", "async-uring-udp", "async-uring-udp-epoll"] {
            let failed = peerFailed + [SummaryTests.record(ours, repetition: 2, rps: 10, errors: 1)]
            #expect(RunRecord.failsTheCommand(failed), "\(ours)")
        }
        // A server the runner does not know fails it too: nothing is waved through unseen.
        #expect(RunRecord.failsTheCommand([SummaryTests.record("unknown", repetition: 1, rps: 1, errors: 1)]))
    }

    @Test func httpRunsFailTheCommandOnlyForOurServers() {
        let peerFailed = [
            HTTPSummaryTests.record("hummingbird-nio", .close, repetition: 1, rps: 10, readErrors: 500),
            HTTPSummaryTests.record("nginx", repetition: 1, rps: 10, readErrors: 1),
        ]
        #expect(peerFailed.allSatisfy { !$0.isSuccess })
        #expect(!HTTPRunRecord.failsTheCommand(peerFailed))
        for ours in ["async-uring", "hummingbird-uring", "unknown"] {
            let failed = peerFailed + [HTTPSummaryTests.record(ours, repetition: 1, rps: 10, readErrors: 1)]
            #expect(HTTPRunRecord.failsTheCommand(failed), "\(ours)")
        }
    }
}
