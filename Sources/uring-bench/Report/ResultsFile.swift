import Foundation

/// A JSON file `uring-bench report` reads, of a kind told by its content: a ``BenchResults``
/// document, or one suite's raw records.
enum ResultsFile: Equatable, Sendable {
    case results(BenchResults)
    /// `uring-bench run --json` (TCP or `--udp`).
    case echoRecords([RunRecord])
    /// `uring-bench http-run --json`.
    case httpRecords([HTTPRunRecord])
    /// `scripts/resp-bench.py --json`.
    case respRecords([RESPBenchRecord])

    /// Reads and decodes the file at `path`.
    /// - Throws: ``ResultsFileError`` naming the file and what is wrong with it.
    static func read(_ path: String) throws -> ResultsFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ResultsFileError(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        return try decode(data, path: path)
    }

    /// Decodes `data`; `path` names it in errors.
    static func decode(_ data: Data, path: String) throws -> ResultsFile {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw ResultsFileError(path: path, reason: "is not JSON")
        }
        do {
            if let object = json as? [String: Any] { return try decodeResults(object, data, path: path) }
            guard let array = json as? [Any] else {
                throw ResultsFileError(path: path, reason: "is neither an object nor an array")
            }
            return try decodeRecords(array, data, path: path)
        } catch let error as ResultsFileError {
            throw error
        } catch {
            throw ResultsFileError(path: path, reason: "does not decode: \(error)")
        }
    }

    private static func decodeResults(_ object: [String: Any], _ data: Data, path: String) throws -> ResultsFile {
        guard object["suites"] != nil, object["conditions"] != nil else {
            throw ResultsFileError(path: path, reason: "is a JSON object without suites and conditions")
        }
        let results = try JSONDecoder().decode(BenchResults.self, from: data)
        guard results.version == 1 else {
            throw ResultsFileError(path: path, reason: "has version \(results.version); this reads 1")
        }
        return .results(results)
    }

    /// An array's kind is told by the keys of its first record.
    private static func decodeRecords(_ array: [Any], _ data: Data, path: String) throws -> ResultsFile {
        guard let first = array.first as? [String: Any] else {
            throw ResultsFileError(path: path, reason: array.isEmpty ? "holds no record" : "is not an array of records")
        }
        let decoder = JSONDecoder()
        if first["roundTripsPerSecond"] != nil {
            return .echoRecords(try decoder.decode([RunRecord].self, from: data))
        }
        if first["shape"] != nil, first["durationSeconds"] != nil {
            return .httpRecords(try decoder.decode([HTTPRunRecord].self, from: data))
        }
        if first["pipeline"] != nil, first["runs"] != nil {
            return .respRecords(try decoder.decode([RESPBenchRecord].self, from: data))
        }
        throw ResultsFileError(
            path: path,
            reason: "holds records of no known kind (run --json, http-run --json, resp-bench.py --json)"
        )
    }

    /// The suites the file holds.
    var suites: [SuiteResults] {
        switch self {
        case .results(let results): results.suites
        case .echoRecords(let records): SuiteResults.echoSuites(from: records)
        case .httpRecords(let records): [SuiteResults.httpSuite(from: records)]
        case .respRecords(let records): [SuiteResults.respSuite(from: records)]
        }
    }
}

/// A results file `report` cannot use.
struct ResultsFileError: Error, Equatable, CustomStringConvertible {
    var path: String
    var reason: String

    var description: String { "\(path) \(reason)" }
}
