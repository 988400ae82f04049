import Foundation
import Hummingbird
import Logging

/// One structured log line per request: method, path, status and the time to answer.
struct RequestTimingMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        if context.logger.logLevel <= level {
            let elapsed = ContinuousClock.now - start
            let ms = elapsed / .milliseconds(1)
            context.logger.log(level: level, "request", metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.3f", ms)),
            ])
        }
        return response
    }
}
