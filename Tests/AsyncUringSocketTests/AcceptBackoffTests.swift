import SystemPackage
import Testing

@testable import AsyncUringSocket

/// What accept loops do with a failed accept, without a kernel.
@Suite struct AcceptBackoffTests {
    @Test(arguments: [Errno.connectionAbort, .interrupted, .protocolError])
    func aPeerThatGaveUpIsSkipped(errno: Errno) {
        var backoff = AcceptBackoff()
        #expect(backoff.failed(with: SocketError(.accept, errno)) == .retry)
        #expect(backoff.delay == .zero)
    }

    @Test(arguments: [Errno.tooManyOpenFiles, .tooManyOpenFilesInSystem, .noBufferSpace, .noMemory])
    func exhaustionBacksOffDoublingUpToOneSecondAndASuccessResetsIt(errno: Errno) {
        var backoff = AcceptBackoff()
        let delays = (0..<9).map { _ in backoff.failed(with: SocketError(.accept, errno)) }
        #expect(
            delays == [10, 20, 40, 80, 160, 320, 640, 1000, 1000].map { .retryAfter(.milliseconds($0)) }
        )
        backoff.succeeded()
        #expect(backoff.failed(with: SocketError(.accept, errno)) == .retryAfter(.milliseconds(10)))
    }

    @Test(arguments: [Errno.badFileDescriptor, .invalidArgument, .notSupported])
    func anythingElseStops(errno: Errno) {
        var backoff = AcceptBackoff()
        #expect(backoff.failed(with: SocketError(.accept, errno)) == .stop)
    }
}
