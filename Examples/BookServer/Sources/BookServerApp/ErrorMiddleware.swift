import Hummingbird
import Logging
import NIOCore

/// Turns every error a handler or the router throws into a JSON error response, so that a
/// client always gets `{"error": …}` with a 4xx or 5xx status and never an empty body — except
/// for `HEAD`, whose answers never carry a body (RFC 9110), errors included.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = await answer(request, context: context, next: next)
        guard request.method == .head else { return response }
        var head = response
        head.body = ResponseBody()
        return head
    }

    private func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.jsonResponse()
        } catch is NIOTooManyBytesError {
            return APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than the server accepts").jsonResponse()
        } catch let error as HTTPError {
            // The router's own: no route (404) or a method it does not serve (405).
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            let message = error.status == .notFound
                ? "no route \(request.method.rawValue) \(request.uri.path); the API has GET /recommend, GET /similar, POST /reader, GET /items/ID, GET /health"
                : (error.body ?? error.status.reasonPhrase)
            return APIError(error.status, code: code, message).jsonResponse()
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            return APIError(error.status, code: "http_\(error.status.code)", error.status.reasonPhrase).jsonResponse()
        } catch {
            // A bug of ours, not the client's: log the detail, answer without it.
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return APIError(.internalServerError, code: "internal", "the server could not answer this request").jsonResponse()
        }
    }
}
