import BookServerApp
import EmbedRec
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// What keeps a server on a public address from being held open: idle and slow connections are
/// closed after the idle timeout, a trickled body gets 408, connections past the limit wait,
/// and HEAD answers as GET without a body.
@Suite struct ConnectionLimitTests {
    /// A raw TCP connection to the loopback server, for what an HTTP client would never do.
    final class RawConnection: @unchecked Sendable {  // one test's, used from one task at a time
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

        /// Reads for up to `seconds`: what arrived, and whether the server closed the connection.
        /// The blocking reads run on a dispatch thread: on the concurrency pool they would hold
        /// the threads the server's own handlers need.
        func read(for seconds: Double) async -> (text: String, closed: Bool) {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: self.blockingRead(for: seconds)) }
            }
        }

        private func blockingRead(for seconds: Double) -> (text: String, closed: Bool) {
            var received: [UInt8] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while Date() < deadline {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n == 0 { return (String(decoding: received, as: UTF8.self), true) }
                if n > 0 { received += buffer[..<n]; continue }
                if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                    return (String(decoding: received, as: UTF8.self), true)
                }
                // An answer followed by 0.1 s of silence is whole.
                if !received.isEmpty { break }
            }
            return (String(decoding: received, as: UTF8.self), false)
        }
    }

    static func configuration(idle: Double = 30, body: Double = 10, connections: Int = 512) -> BookServerConfiguration {
        var configuration = Fixtures.configuration
        configuration.idleTimeoutSeconds = idle
        configuration.bodyTimeoutSeconds = body
        configuration.maxConnections = connections
        return configuration
    }

    @Test func idleAndSlowHeadConnectionsAreClosed() async throws {
        let store = ModelStore(recommender: try Fixtures.small.get())
        try await Fixtures.app(store, Self.configuration(idle: 0.5)).test(.live) { client in
            let port = try #require(client.port)
            let idle = try RawConnection(port: port)
            // Half a request head, never finished: closed like an idle connection.
            let slow = try RawConnection(port: port)
            slow.send("GET /health HTTP/1.1\r\nHost: x\r\n")
            // A finished request on a kept-alive connection, then silence.
            let kept = try RawConnection(port: port)
            kept.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await kept.read(for: 2).text.hasPrefix("HTTP/1.1 200"))
            for (name, connection) in [("idle", idle), ("slow head", slow), ("kept alive", kept)] {
                #expect(await connection.read(for: 3).closed, "the \(name) connection was not closed after the 0.5 s idle timeout")
            }
            // With the default 30 s, the same idle connection stays open past 1 s.
        }
        try await Fixtures.app(store, Self.configuration(idle: 30)).test(.live) { client in
            let idle = try RawConnection(port: try #require(client.port))
            let answer = await idle.read(for: 1)
            #expect(!answer.closed, "an idle connection was closed well before its 30 s timeout")
        }
    }

    @Test func trickledBodyGets408() async throws {
        let store = ModelStore(recommender: try Fixtures.small.get())
        try await Fixtures.app(store, Self.configuration(body: 0.5)).test(.live) { client in
            let connection = try RawConnection(port: try #require(client.port))
            connection.send("POST /reader HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"items\":")
            let answer = await connection.read(for: 3).text
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
            #expect(answer.contains("\"code\":\"body_timeout\""), "\(answer)")
            // A body sent at once is answered as usual.
            let item = try Fixtures.small.get().itemIDs.rawIDs[0]
            let whole = try await client.execute(uri: "/reader?k=3", method: .post, body: ByteBuffer(string: "{\"items\": [\(item)]}"))
            #expect(whole.status == .ok)
        }
    }

    @Test func connectionsPastTheLimitAreClosedAtOnce() async throws {
        let store = ModelStore(recommender: try Fixtures.small.get())
        try await Fixtures.app(store, Self.configuration(idle: 30, connections: 3)).test(.live) { client in
            let port = try #require(client.port)
            // The test client's own kept-alive connection is the first of the 3.
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            var open = [try RawConnection(port: port), try RawConnection(port: port)]
            for c in open { c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n") }
            for c in open { let answer = await c.read(for: 5); #expect(answer.text.hasPrefix("HTTP/1.1 200")) }
            // Past the limit of 3, every further connection is closed unanswered, however many.
            for k in 0..<8 {
                let extra = try RawConnection(port: port)
                extra.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                let answer = await extra.read(for: 2)
                #expect(answer.closed && answer.text.isEmpty, "connection \(k + 4) of a limit of 3: \(answer)")
            }
            // One of the two closes: a connection is served again once the server has seen it go
            // (tried for up to 5 s: on a loaded machine the close takes a moment to arrive).
            open.removeFirst()
            var served = false
            for _ in 0..<20 where !served {
                let next = try RawConnection(port: port)
                next.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                served = await next.read(for: 1).text.hasPrefix("HTTP/1.1 200")
                if !served { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(served, "no connection was served after one of the limit's closed")
            _ = open
        }
    }

    @Test func headAnswersAsGetWithoutBody() async throws {
        let recommender = try Fixtures.small.get()
        let store = ModelStore(recommender: recommender)
        let user = recommender.userIDs.rawIDs[0], item = recommender.itemIDs.rawIDs[0]
        try await Fixtures.app(store).test(.live) { client in
            for uri in ["/", "/health", "/recommend?user=\(user)&k=3", "/items/\(item)", "/similar?item=\(item)&k=3",
                        "/recommend?user=-5", "/nowhere"] {
                let get = try await client.execute(uri: uri, method: .get)
                let head = try await client.execute(uri: uri, method: .head)
                #expect(head.status == get.status, "\(uri)")
                #expect(head.body.readableBytes == 0, "\(uri): HEAD sent a body")
                #expect(head.headers[.contentType] == get.headers[.contentType], "\(uri)")
            }
            // Another method on a known route: 404 with its JSON code, as the README lists.
            let wrong = try await client.execute(uri: "/recommend?user=\(user)", method: .delete)
            #expect(wrong.status == .notFound)
            #expect(String(buffer: wrong.body).contains("\"code\":\"not_found\""))
        }
    }

    @Test func configurationOutOfRangeIsRefused() throws {
        for change in [{ (c: inout BookServerConfiguration) in c.idleTimeoutSeconds = 0 },
                       { c in c.idleTimeoutSeconds = .nan }, { c in c.bodyTimeoutSeconds = -1 },
                       { c in c.maxConnections = 0 }] {
            var configuration = BookServerConfiguration()
            change(&configuration)
            #expect(throws: ConfigurationError.self) { try configuration.validated() }
        }
    }
}
