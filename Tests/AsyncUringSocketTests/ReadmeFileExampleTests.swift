import AsyncUringSocket
import AsyncUringTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct ReadmeFileExampleTests {
    /// The README's file example, in a temporary directory.
    @Test func fileExampleFromTheReadme() async throws {
        try await withTemporaryDirectory { directory in
            let file = try await RingFile.open(
                directory + "/greeting.txt",
                mode: .readWrite,
                options: [.create, .truncate]
            )
            try await file.write(Array("Hello, ring!".utf8), at: 0)
            try await file.synchronizeData()
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = try await file.read(into: &buffer, at: 7)
            let size = try await file.status().size
            try await file.close()
            #expect(count == 5 && Array(buffer[..<count]) == Array("ring!".utf8))
            #expect(size == 12)
        }
    }
}
