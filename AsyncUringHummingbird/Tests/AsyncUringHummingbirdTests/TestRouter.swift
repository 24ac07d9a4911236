import AsyncUringHummingbird
import HTTPTypes
import Hummingbird

/// An error that is not an `HTTPResponseError`: the application answers it with 500.
struct UnexpectedError: Error {}

/// Adds `x-middleware: seen` to every response, and refuses requests with `x-deny` with 401.
struct MarkingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if request.headers[.deny] != nil { throw HTTPError(.unauthorized) }
        var response = try await next(request, context)
        response.headers[.middleware] = "seen"
        return response
    }
}

extension HTTPField.Name {
    static let middleware = Self("x-middleware")!
    static let deny = Self("x-deny")!
    static let done = Self("x-done")!
}

/// The routes the tests call, as an application would write them.
func makeTestRouter() -> Router<BasicUringRequestContext> {
    let router = Router(context: BasicUringRequestContext.self)
    router.middlewares.add(MarkingMiddleware())
    router.get("hello") { _, _ in "Hello" }
    router.get("users/:id") { _, context in
        "user \(try context.parameters.require("id"))"
    }
    router.post("count") { request, _ in
        let body = try await request.body.collect(upTo: 8 << 20)
        return "\(body.readableBytes)"
    }
    router.post("echo") { request, _ in
        Response(status: .ok, body: ResponseBody(asyncSequence: request.body))
    }
    router.get("forbidden") { _, _ -> String in
        throw HTTPError(.forbidden, message: "not for you")
    }
    router.get("fail") { _, _ -> String in
        throw UnexpectedError()
    }
    router.get("stream") { _, _ in
        Response(
            status: .ok,
            body: ResponseBody { writer in
                for part in 0..<5 {
                    try await writer.write(ByteBuffer(string: "part \(part)\n"))
                }
                try await writer.finish([.done: "yes"])
            }
        )
    }
    router.get("big") { _, _ in
        Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "a"), count: 1 << 20)))
    }
    router.get("peer") { _, context in
        context.remoteAddress?.ipAddress ?? "none"
    }
    return router
}
