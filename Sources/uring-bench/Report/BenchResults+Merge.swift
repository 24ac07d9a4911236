extension BenchResults {
    /// One document of the suites of every file, in the order given.
    ///
    /// Suites of the same name merge: their cases join in order, and runs of a server and
    /// case already present are numbered after the ones before them. The conditions are
    /// those of the first ``BenchResults`` file, else `fallback` (the raw records carry
    /// none), pinned as `fallback` when raw records are among them; an interference left unknown is the median of the runs' own. A suite whose
    /// pinning differs from the page's (its file's conditions, or `fallback` for raw
    /// records) keeps its own in ``SuiteResults/pinning``.
    static func merging(_ files: [ResultsFile], fallback: RunConditions) -> BenchResults {
        var suites: [SuiteResults] = []
        var conditions: RunConditions?
        for file in files {
            if case .results(let results) = file, conditions == nil { conditions = results.conditions }
        }
        var pageConditions = conditions ?? fallback
        // Raw records were pinned as the runners pin (`fallback`): the page says so.
        if files.contains(where: { if case .results = $0 { false } else { true } }) {
            (pageConditions.serverCPUs, pageConditions.loadCPUs) = (fallback.serverCPUs, fallback.loadCPUs)
        }
        for file in files {
            let filePinning: String
            if case .results(let results) = file {
                filePinning = results.conditions.pinningText
            } else {
                filePinning = fallback.pinningText
            }
            for var suite in file.suites {
                let pinning = suite.pinning ?? filePinning
                suite.pinning = pinning == pageConditions.pinningText ? nil : pinning
                if let index = suites.firstIndex(where: { $0.name == suite.name }) {
                    suites[index].merge(suite)
                } else {
                    suites.append(suite)
                }
            }
        }
        var merged = BenchResults(conditions: pageConditions, suites: suites)
        let measurements = suites.flatMap(\.measurements)
        if merged.conditions.interference == nil {
            merged.conditions.interference = uring_bench.median(measurements.compactMap(\.interference))
        }
        if merged.conditions.steal == nil {
            merged.conditions.steal = uring_bench.median(measurements.compactMap(\.steal))
        }
        return merged
    }
}

extension SuiteResults {
    /// Adds `other`'s cases and runs to this suite's.
    mutating func merge(_ other: SuiteResults) {
        cases = Self.orderedUnique(cases + other.cases)
        if yardstick == nil { yardstick = other.yardstick }
        if pinning == nil { pinning = other.pinning }
        if costUnit == nil { costUnit = other.costUnit }
        var lastRepetition: [String: Int] = [:]
        for measurement in measurements {
            let key = "\(measurement.server)\u{0}\(measurement.caseName)"
            lastRepetition[key] = max(lastRepetition[key] ?? 0, measurement.repetition)
        }
        for var measurement in other.measurements {
            let key = "\(measurement.server)\u{0}\(measurement.caseName)"
            measurement.repetition += lastRepetition[key] ?? 0
            measurements.append(measurement)
        }
    }
}
