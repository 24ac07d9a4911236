import AsyncUringSocket
import HTTPTypes

/// One connection's HTTP state: its reader, the request being served and the response bytes
/// not sent yet. Used on the connection's ring thread only (the handler task's and the
/// graceful shutdown's jobs run there).
final class HTTPConnectionContext: @unchecked Sendable {
    // Guarded by: the ring thread (unchecked exclusivity, as the runtime's ring-thread state).
    let connection: TCPConnection
    let configuration: HTTPServerConfiguration
    @exclusivity(unchecked) var reader: BufferedReader<TCPConnection>
    @exclusivity(unchecked) var headDecoder: HTTPHeadDecoder
    /// Response bytes not handed to the connection yet: the replies to pipelined requests
    /// collect here and leave in one send, before the connection next waits to receive.
    @exclusivity(unchecked) var output: [UInt8] = []
    /// The output buffer sent last: once the send queue let it go, the next flush reuses its
    /// storage instead of allocating.
    @exclusivity(unchecked) var spareOutput: [UInt8] = []
    @exclusivity(unchecked) var date = HTTPDate()

    /// Counts requests; a body of an earlier request can no longer be read.
    @exclusivity(unchecked) var requestGeneration = 0
    @exclusivity(unchecked) var bodyDecoder: HTTPBodyDecoder
    /// The body was read to its end (or there was none).
    @exclusivity(unchecked) var bodyFinished = true
    /// What reading the body failed with: the connection cannot be read on.
    @exclusivity(unchecked) var bodyError: (any Error)?
    @exclusivity(unchecked) var continuePending = false
    @exclusivity(unchecked) var trailers: HTTPFields?
    /// Waiting for the first byte of a next request: a graceful shutdown ends the wait.
    @exclusivity(unchecked) var isIdle = false
    /// When the receive waiting now times out; the server's sweep ends the wait after it.
    @exclusivity(unchecked) var deadline: ContinuousClock.Instant?
    /// The sweep ended the wait: it failed for its deadline.
    @exclusivity(unchecked) var timedOut = false

    init(connection: TCPConnection, configuration: HTTPServerConfiguration) {
        self.connection = connection
        self.configuration = configuration
        let limits = configuration.limits
        reader = connection.reader(
            maxBufferSize: max(1 << 16, limits.maxRequestLineLength + limits.maxHeaderSize + 4096)
        )
        headDecoder = HTTPHeadDecoder(parser: HTTPRequestHeadParser(limits: limits))
        bodyDecoder = HTTPBodyDecoder(framing: .none, limits: limits)
        output.reserveCapacity(Self.outputCapacity)
    }

    /// What a fresh output buffer reserves: room for a few small responses.
    static let outputCapacity = 1024
    /// A spare output buffer larger than this is let go rather than kept for reuse.
    static let maxSpareCapacity = 64 << 10

    // MARK: Requests

    /// Reads the next request head.
    ///
    /// - Parameter shuttingDown: whether the server is shutting down (checked before waiting
    ///   idle).
    /// - Returns: the head, or nil when the connection is done: the peer closed it, stayed
    ///   idle past the idle timeout, or the server is shutting down.
    /// - Throws: ``HTTPRequestError`` for a head to refuse (a timeout included); the
    ///   connection's errors.
    func readHead(shuttingDown: () -> Bool) async throws -> HTTPRequestHead? {
        var headDeadline: ContinuousClock.Instant?
        while true {
            if let head = try reader.decodeBuffered(using: &headDecoder) { return head }
            try await flush()
            let idle = reader.buffer.isEmpty
            let deadline: ContinuousClock.Instant
            if idle {
                if shuttingDown() { return nil }
                deadline = .now + configuration.idleTimeout
            } else {
                deadline = headDeadline ?? .now + configuration.headerTimeout
                headDeadline = deadline
            }
            isIdle = idle
            defer { isIdle = false }
            do {
                guard try await fill(until: deadline) else { return nil }
            } catch let error as SocketError where error.isTimeout {
                if idle { return nil }
                throw HTTPRequestError(.headerTimeout)
            } catch  where idle && shuttingDown() {
                return nil
            }
        }
    }

    /// Receives into the reader, failing with `ETIMEDOUT` once `deadline` passed.
    ///
    /// The receive itself has no timeout, which would cost a kernel timer armed and
    /// cancelled per request: the server's sweep (``sweep(now:)``, a few times per shortest
    /// timeout) ends the waits whose deadline passed.
    func fill(until deadline: ContinuousClock.Instant) async throws -> Bool {
        self.deadline = deadline
        timedOut = false
        defer { self.deadline = nil }
        do {
            return try await reader.fill()
        } catch {
            if timedOut { throw SocketError(.receive, .timedOut, detail: "the server's timeout passed") }
            throw error
        }
    }

    /// Ends the wait of a receive whose deadline passed (on the ring thread).
    func sweep(now: ContinuousClock.Instant) {
        guard let deadline, deadline <= now else { return }
        timedOut = true
        connection.cancelScopedReceive()
    }

    /// Ends the wait of an idle connection (on the ring thread), for a graceful shutdown.
    func interruptIfIdle() {
        if isIdle { connection.cancelScopedReceive() }
    }

    /// Starts serving `head`: its body becomes readable.
    func beginRequest(_ head: HTTPRequestHead) -> HTTPServerRequest {
        requestGeneration += 1
        bodyDecoder = HTTPBodyDecoder(framing: head.framing, limits: configuration.limits)
        bodyFinished = bodyDecoder.isDone
        bodyError = nil
        continuePending = head.expectsContinue && !bodyFinished
        trailers = nil
        let body = HTTPRequestBody(connection: bodyFinished ? nil : self, generation: requestGeneration)
        return HTTPServerRequest(head: head.request, body: body, connection: self)
    }

    /// Ends the request: its body can no longer be read.
    func endRequest() {
        requestGeneration += 1
    }

    /// The next part of the current request's body.
    func nextBodyPart(generation: Int) async throws -> [UInt8]? {
        guard generation == requestGeneration else {
            throw SocketError(.receive, .badFileDescriptor, detail: "the request's body was read after its response")
        }
        if bodyFinished { return nil }
        if let bodyError { throw bodyError }
        if continuePending {
            continuePending = false
            output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
        }
        do {
            while true {
                if let part = try reader.decodeBuffered(using: &bodyDecoder) {
                    switch part {
                    case .bytes(let bytes):
                        if bodyDecoder.isDone { bodyFinished = true }
                        return bytes
                    case .end(let trailers):
                        self.trailers = trailers
                        bodyFinished = true
                        return nil
                    }
                }
                try await flush()
                guard try await fill(until: .now + configuration.bodyTimeout) else {
                    throw SocketError(
                        .receive,
                        .connectionReset,
                        detail: "the peer closed the connection within a request body"
                    )
                }
            }
        } catch {
            bodyError = error
            throw error
        }
    }

    /// Decodes what is left of the body from the bytes already buffered.
    /// - Returns: whether the body is read to its end now.
    func skipBufferedBody() -> Bool {
        guard !bodyFinished, bodyError == nil, !continuePending else { return bodyFinished }
        do {
            while let part = try reader.decodeBuffered(using: &bodyDecoder) {
                if case .end = part {
                    bodyFinished = true
                    break
                }
                if bodyDecoder.isDone { bodyFinished = true }
            }
        } catch {
            bodyError = error
        }
        return bodyFinished
    }

    // MARK: Output

    /// Hands the collected response bytes to the connection's send queue.
    func flush() async throws {
        guard !output.isEmpty else { return }
        let bytes = output
        output = takeEmptyBuffer()
        spareOutput = bytes
        try await connection.send(bytes)
    }

    /// An empty output buffer: the spare one's storage (emptying it allocates only when the
    /// send queue still holds it), or a new one when it grew large.
    private func takeEmptyBuffer() -> [UInt8] {
        var buffer = spareOutput
        spareOutput = []
        if buffer.capacity >= Self.outputCapacity, buffer.capacity <= Self.maxSpareCapacity {
            buffer.removeAll(keepingCapacity: true)
            return buffer
        }
        var fresh: [UInt8] = []
        fresh.reserveCapacity(Self.outputCapacity)
        return fresh
    }

    /// Sends the collected bytes and then `bytes`, without copying `bytes`.
    func send(_ bytes: [UInt8]) async throws {
        if output.isEmpty {
            try await connection.send(bytes)
            return
        }
        let head = output
        output = takeEmptyBuffer()
        try await connection.send(contentsOf: [head, bytes])
    }

    /// Sends `bytes` as one chunk of a chunked body.
    func sendChunk(_ bytes: [UInt8]) async throws {
        HTTPResponseEncoding.appendChunkHeader(bytes.count, to: &output)
        try await send(bytes)
        output.append(contentsOf: "\r\n".utf8)
    }

    /// Appends the last chunk and the trailer section.
    func appendLastChunk(trailers: HTTPFields?) {
        output.append(contentsOf: "0\r\n".utf8)
        for field in trailers ?? [:] {
            output.append(contentsOf: field.name.rawName.utf8)
            output.append(contentsOf: ": ".utf8)
            output.append(contentsOf: field.value.utf8)
            output.append(contentsOf: "\r\n".utf8)
        }
        output.append(contentsOf: "\r\n".utf8)
    }
}

/// The request head parser as a frame decoder of the connection's reader.
struct HTTPHeadDecoder: FrameDecoder {
    var parser: HTTPRequestHeadParser

    mutating func decode(_ buffer: inout BufferedBytes) throws -> HTTPRequestHead? {
        let parsed = try buffer.withUnsafeReadableBytes { bytes throws(HTTPRequestError) in try parser.parse(bytes) }
        guard let parsed else { return nil }
        buffer.consume(parsed.length)
        return parsed.head
    }
}
