import AsyncUringHTTP
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import Testing

/// Large bodies streamed through the server; a suite of its own for its time limit (a debug
/// build under ThreadSanitizer moves 128 MiB slowly).
@Suite(.timeLimit(.minutes(5))) struct HTTPLargeBodyTests {
    /// 64 MiB in, echoed as it arrives: the server holds a part at a time, not the body.
    @Test func echoesA64MiBChunkedUploadByteExact() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.limits.maxBodySize = nil
        try await withHTTPServer(configuration: configuration, handler: testHandler) { server in
            let client = try await TCPConnection.connect(to: server.localAddress)
            let total = 64 << 20
            let chunk = pattern(count: 256 << 10)
            async let uploaded: Void = {
                try await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
                var sent = 0
                while sent < total {
                    try await client.send(contentsOf: [
                        Array((String(chunk.count, radix: 16) + "\r\n").utf8), chunk, [13, 10],
                    ])
                    sent += chunk.count
                }
                try await client.send("0\r\n\r\n")
            }()
            var reader = client.reader()
            guard let statusLine = try await reader.read(until: Array("\r\n\r\n".utf8), maxLength: 4096) else {
                throw TestFailure("no response head")
            }
            #expect(String(decoding: statusLine, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
            var received = 0
            var mismatches = 0
            let baseline = residentBytes()
            var peak = baseline
            /// The peak after a quarter of the body: from then on, memory must not grow.
            var warmed: Int?
            while true {
                let sizeLine = try #require(try await reader.read(until: [13, 10], maxLength: 64))
                let size = try #require(Int(String(decoding: sizeLine, as: UTF8.self), radix: 16))
                if size == 0 { break }
                let bytes = try await reader.read(exactly: size)
                if !matchesRepeated(bytes, chunk, from: received) { mismatches += 1 }
                received += size
                _ = try await reader.read(exactly: 2)
                if received % (1 << 20) < size {
                    peak = max(peak, residentBytes())
                    if received >= total / 4, warmed == nil { warmed = peak }
                }
            }
            try await uploaded
            #expect(received == total)
            #expect(mismatches == 0, "\(mismatches) parts differ from what was sent")
            // Client and server together: far less than the body, and not growing with it.
            // Under a sanitizer the allocator holds freed memory back (ASan's quarantine).
            if !runsUnderSanitizer {
                #expect(peak - baseline < 40 << 20, "resident memory grew by \(peak - baseline) bytes")
                #expect(peak - (warmed ?? peak) < 8 << 20, "resident memory grew by \(peak - (warmed ?? peak)) bytes")
            }
            try await client.close()
        }
    }
}

/// Whether `bytes` equal `period` repeated, starting `offset` bytes into it (compared a run
/// at a time: a byte-by-byte loop is slow in a debug build under a sanitizer).
func matchesRepeated(_ bytes: [UInt8], _ period: [UInt8], from offset: Int) -> Bool {
    bytes.withUnsafeBytes { bytes in
        period.withUnsafeBytes { period in
            var position = 0
            var phase = offset % period.count
            while position < bytes.count {
                let run = min(bytes.count - position, period.count - phase)
                if memcmp(bytes.baseAddress! + position, period.baseAddress! + phase, run) != 0 { return false }
                position += run
                phase = 0
            }
            return true
        }
    }
}
