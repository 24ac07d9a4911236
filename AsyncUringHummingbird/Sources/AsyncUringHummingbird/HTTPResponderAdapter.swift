import AsyncUringHTTP
import Hummingbird
import Logging
import NIOCore

/// Answers AsyncUringHTTP requests with a Hummingbird `HTTPResponder` (a `Router`'s
/// responder, middleware included): the handler ``UringApplication`` gives its
/// ``HTTPServer``, for use with an ``HTTPServer`` of your own.
///
/// ```swift
/// let adapter = HTTPResponderAdapter(responder: router.buildResponder(), logger: logger)
/// let server = HTTPServer(listener: listener) { request in
///     try await adapter.respond(to: request)
/// }
/// ```
///
/// Each request gets a context made from a ``UringRequestContextSource``, with a logger that
/// carries a new `hb.request.id`, as Hummingbird's `Application` gives it. Errors are
/// answered as the `Application` answers them: the `Router` turns an `HTTPResponseError`
/// (an `HTTPError`) into its response; any other error the responder throws becomes an empty
/// 500, logged at debug level. A malformed or oversized request body (``HTTPRequestError``) is
/// left to the server, which answers with its status and closes the connection.
public struct HTTPResponderAdapter<Responder: HTTPResponder>: Sendable
where Responder.Context: InitializableFromSource<UringRequestContextSource> {
    public let responder: Responder
    public let logger: Logger
    /// Sent as the `Server` field of every response, when set.
    public let serverName: String?

    /// - Parameters:
    ///   - responder: answers the requests.
    ///   - logger: the base of each request's logger.
    ///   - serverName: the `Server` field of every response, or nil for none.
    public init(responder: Responder, logger: Logger, serverName: String? = nil) {
        self.responder = responder
        self.logger = logger
        self.serverName = serverName
    }

    /// Shared by the requests without a body: `ByteBuffer()` allocates its storage.
    private static var emptyBuffer: ByteBuffer { sharedEmptyBuffer }

    /// Response bodies of a known length up to this size are collected and sent with the
    /// head; longer ones and those of unknown length are streamed.
    static var collectLimit: Int { 64 << 10 }

    /// Answers `request` with the responder.
    ///
    /// - Parameter request: the request as the server read it; its body is read as the
    ///   responder reads the Hummingbird request's body.
    /// - Returns: the responder's response; its body is collected when short and of known
    ///   length, else streamed after the head.
    /// - Throws: ``HTTPRequestError`` when the request body is malformed or too large.
    public func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        var logger = logger
        logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
        let context = Responder.Context(source: UringRequestContextSource(request: request, logger: logger))
        let hummingbirdRequest = Request(head: request.head, body: Self.makeBody(request))
        var response: Response
        do {
            response = try await withLogger(logger) { _ in
                try await responder.respond(to: hummingbirdRequest, context: context)
            }
        } catch let error as HTTPRequestError {
            throw error
        } catch {
            logger.debug("Unrecognised Error", metadata: ["error.type": "\(error)"])
            response = Response(status: .internalServerError)
        }
        if let serverName { response.headers[.server] = serverName }
        return try await Self.makeResponse(response)
    }

    /// The Hummingbird body of `request`: an empty buffer when the head announces no body,
    /// which spares the sequence's boxing.
    static func makeBody(_ request: HTTPServerRequest) -> RequestBody {
        let fields = request.head.headerFields
        if fields[.transferEncoding] == nil, fields[.contentLength] ?? "0" == "0" {
            return RequestBody(buffer: emptyBuffer)
        }
        return RequestBody(asyncSequence: RequestBodyBuffers(body: request.body))
    }

    /// The server's form of `response`.
    static func makeResponse(_ response: Response) async throws -> HTTPServerResponse {
        let head = HTTPResponse(status: response.status, headerFields: response.headers)
        let body = response.body
        guard let length = body.contentLength, length <= collectLimit else {
            return HTTPServerResponse(head: head, body: ResponseBodyStream.makeBody(body, length: body.contentLength))
        }
        // Written even when empty: a body may run code when written (a middleware's
        // post-write closure).
        let collector = ResponseBodyCollector(capacity: length)
        try await body.write(ResponseBodyCollector.Writer(collector: collector))
        return HTTPServerResponse(head: head, body: HTTPResponseBody(bytes: collector.bytes))
    }
}

/// The storage of every empty request body (a `ByteBuffer` is a copy-on-write value).
private let sharedEmptyBuffer = ByteBuffer()
