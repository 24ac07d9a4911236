extension SuiteResults {
    /// Whether the throughput unit is a rate already ("IOPS", "requests/s").
    private var unitIsRate: Bool {
        throughputUnit.hasSuffix("PS") || throughputUnit.hasSuffix("/s") || throughputUnit.hasSuffix("per second")
    }

    /// What the throughput axis counts: "round trips per second", "IOPS".
    var throughputLabel: String { unitIsRate ? throughputUnit : "\(throughputUnit) per second" }

    /// The throughput column's heading: "round trips/s", "IOPS".
    var throughputHeading: String { unitIsRate ? throughputUnit : "\(throughputUnit)/s" }
}
