import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import SystemPackage
import Testing

extension SocketTests {
    /// Peers that misbehave while we send: they reset the connection, or stop reading.
    @Suite struct PeerFaultTests {
        enum PeerEnding: CaseIterable, Sendable {
            /// `SO_LINGER` 0, then close: an RST at once.
            case reset
            /// A plain close with received bytes still unread, which the kernel answers with an RST.
            case closeWithUnreadBytes
        }

        @Test(arguments: PeerEnding.allCases)
        func peerEndingTheConnectionWhileWeSendIsATypedErrorNotSIGPIPE(ending: PeerEnding) async throws {
            try await withDefaultSIGPIPE {
                try await withLeakCheck {
                    let (sender, peer, listener) = try await makeConnectedPair()
                    let sending = Task { () -> (sent: Int, error: SocketError?) in
                        let chunk = pattern(count: 65536)
                        var sent = 0
                        do {
                            for _ in 0..<4096 {  // 256 MiB at most
                                try await sender.send(chunk)
                                sent += chunk.count
                            }
                        } catch let error as SocketError {
                            return (sent, error)
                        }
                        return (sent, nil)
                    }
                    let expected = Array(repeatElement(pattern(count: 65536), count: 16).joined())
                    #expect(try await receiveExactly(1 << 20, from: peer, timeout: .seconds(5)) == expected)
                    if ending == .reset { try peer.setOption(.resetOnClose) }
                    try await peer.close()
                    let (sent, error) = try await sending.value
                    let failure = try #require(error, "sent \(sent) bytes after the peer went, with no error")
                    #expect(failure.isConnectionReset, "\(failure)")
                    #expect(failure.operation == .send)
                    // Sends after the failure fail the same way; the connection still closes.
                    let later = await #expect(throws: SocketError.self) {
                        for _ in 0..<3 { try await sender.send(pattern(count: 100)) }
                    }
                    #expect(later?.isConnectionReset == true, "\(String(describing: later))")
                    try await sender.close()
                    await listener.close()
                }
            }
        }

        @Test func sendsWithATimeoutToAPeerThatNeverReadsTimeOutAndMemoryStaysBounded() async throws {
            try await withLeakCheck {
                let (sender, peer, listener) = try await makeConnectedPair()
                let chunk = pattern(count: 65536)
                let before = residentBytes()
                var peak = before
                var sent = 0
                var failure: SocketError?
                for _ in 0..<1024 {  // 64 MiB, far more than the socket buffers hold
                    do {
                        try await sender.send(chunk, timeout: .milliseconds(200))
                    } catch let error as SocketError {
                        failure = error
                        break
                    }
                    sent += chunk.count
                    peak = max(peak, residentBytes())
                }
                #expect(failure?.errno == .timedOut, "\(String(describing: failure))")
                #expect(sent < 32 << 20, "\(sent) bytes went into a peer that never reads")
                #expect(peak - before < 32 << 20, "resident memory grew by \(peak - before) bytes")
                try await sender.close()
                try await peer.close()
                await listener.close()
            }
        }

        @Test func writeBehindSendsToAPeerThatNeverReadsWaitAndMemoryStaysBounded() async throws {
            try await withLeakCheck {
                let (sender, peer, listener) = try await makeConnectedPair()
                let before = residentBytes()
                let sending = Task { () -> Int in
                    let chunk = pattern(count: 65536)
                    var sent = 0
                    for _ in 0..<1024 {  // 64 MiB
                        do { try await sender.send(chunk) } catch { return sent }
                        sent += chunk.count
                    }
                    return sent
                }
                try await Task.sleep(for: .seconds(1))
                let peak = residentBytes()
                // Backpressure reached send(): it waits instead of taking all 64 MiB.
                #expect(await !finishes(sending, within: .milliseconds(10)))
                sending.cancel()
                let sent = await sending.value
                #expect(sent < 32 << 20, "\(sent) bytes went into a peer that never reads")
                #expect(peak - before < 32 << 20, "resident memory grew by \(peak - before) bytes")
                try await peer.close()
                try await sender.close()
                await listener.close()
            }
        }

        @Test func closeReturnsWhileAWriteBehindSendIsStuckOnAPeerThatNeverReads() async throws {
            try await withLeakCheck {
                let (sender, peer, listener) = try await makeConnectedPair()
                try await fillUntilTheSendQueueIsFull(sender)
                let closing = Task { try await sender.close() }
                let closed = await finishes(closing, within: .seconds(10))
                #expect(closed, "close() waited for a peer that never reads")
                // Unblock a close that is still waiting: the peer goes away.
                try peer.setOption(.resetOnClose)
                try await peer.close()
                _ = try? await closing.value
                #expect(sender.isClosed)
                await listener.close()
            }
        }

        @Test func closeWhileAnotherTaskWaitsToSendEndsThatSend() async throws {
            try await withLeakCheck {
                let (sender, peer, listener) = try await makeConnectedPair()
                // Sends until one waits for the write-behind send before it, which a peer that
                // never reads keeps in flight.
                let sending = Task { () -> Int in
                    let chunk = pattern(count: 65536)
                    var sent = 0
                    do {
                        for _ in 0..<1024 {
                            try await sender.send(chunk)
                            sent += chunk.count
                        }
                    } catch {}
                    return sent
                }
                try await Task.sleep(for: .seconds(1))
                #expect(await !finishes(sending, within: .milliseconds(10)))
                let closing = Task { try await sender.close() }
                #expect(await finishes(closing, within: .seconds(10)), "close() waited for a peer that never reads")
                #expect(await finishes(sending, within: .seconds(10)), "the waiting send did not end")
                try peer.setOption(.resetOnClose)
                try await peer.close()
                _ = try? await closing.value
                #expect(sender.isClosed)
                await listener.close()
            }
        }

        /// A connection from `TCPConnection.connect` and its accepted peer, on the shared rings.
        private func makeConnectedPair() async throws -> (TCPConnection, TCPConnection, TCPListener) {
            let listener = try TCPListener.bind(port: 0)
            async let accepted = listener.accept(timeout: .seconds(5))
            let client = try await TCPConnection.connect(to: listener.localAddress, timeout: .seconds(5))
            return (try await accepted, client, listener)
        }
    }
}
