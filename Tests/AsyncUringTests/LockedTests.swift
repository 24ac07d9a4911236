import Testing

@testable import AsyncUring

/// The package's lock under contention: objects made under the lock by one thread are read
/// outside it by others. Under ThreadSanitizer (`scripts/sanitizers.sh`) this is the check
/// that the sanitizer sees the lock's hand-over: with `Synchronization.Mutex` in its place
/// it reports these reads as races.
@Suite(.timeLimit(.minutes(1)))
struct LockedTests {
    final class Entry: Sendable {
        let key: Int
        let payload: [Int]
        init(key: Int) {
            self.key = key
            payload = Array(repeating: key, count: 4)
        }
    }

    @Test func objectsPublishedUnderContentionAreWholeForEveryThread() async {
        let keys = 2_000
        let table = Locked<[Int: Entry]>([:])
        let seen = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var consistent = 0
                    for step in 0..<20_000 {
                        let key = (step * 7 + worker * 13) % keys
                        let entry = table.withLock { table in
                            if let entry = table[key] { return entry }
                            let entry = Entry(key: key)
                            table[key] = entry
                            return entry
                        }
                        if entry.key == key, entry.payload == Array(repeating: key, count: 4) {
                            consistent += 1
                        }
                    }
                    return consistent
                }
            }
            return await group.reduce(0, +)
        }
        #expect(seen == 4 * 20_000)
        #expect(table.withLock { $0.count } == keys)
        #expect(table.withLock { table in table.allSatisfy { $0.key == $0.value.key } })
    }

    @Test func aThrowingBodyReleasesTheLock() {
        struct Refused: Error {}
        let counter = Locked(0)
        #expect(throws: Refused.self) {
            try counter.withLock { (value: inout Int) throws(Refused) in
                value += 1
                throw Refused()
            }
        }
        #expect(counter.withLock { $0 } == 1)
    }
}
