import BookServerApp
import EmbedRec
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `POST /admin/reload`: a good file swaps in, a corrupt one is refused and the old model keeps
/// serving, requests during reloads all succeed, and only loopback may ask.
@Suite struct ReloadTests {
    @Test func corruptFileIsRefusedAndGoodFileSwaps() async throws {
        let first = try Fixtures.small.get(), second = try Fixtures.retrained.get()
        let (folder, path, store) = try Fixtures.served(first)
        defer { try? FileManager.default.removeItem(at: folder) }
        let user = first.userIDs.rawIDs[5]
        let before = try first.recommend(user: user, k: 5).recommendations.map { $0.rawItemID }
        let after = try second.recommend(user: user, k: 5).recommendations.map { $0.rawItemID }
        try #require(before != after, "the two fixtures should recommend differently")

        try await Fixtures.app(store).test(.live) { client in
            func served() async throws -> [RawID] {
                try await client.execute(uri: "/recommend?user=\(user)&k=5", method: .get).decoded(RecommendationsJSON.self).recommendations.map(\.id)
            }
            #expect(try await served() == before)

            // Corrupt: the first half of a valid file.
            let good = try Data(contentsOf: URL(fileURLWithPath: path))
            try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: path))
            let refused = try await client.execute(uri: "/admin/reload", method: .post)
            #expect(refused.status == .unprocessableContent)
            let error = try refused.decoded(ErrorBody.self).error
            #expect(error.code == "model_refused")
            #expect(error.message.contains("previous model keeps serving"))
            #expect(try await served() == before)
            #expect(try await client.execute(uri: "/health", method: .get).decoded(HealthJSON.self).generation == 1)

            // Not a safetensors file at all.
            try Data("not a model".utf8).write(to: URL(fileURLWithPath: path))
            #expect(try await client.execute(uri: "/admin/reload", method: .post).status == .unprocessableContent)
            #expect(try await served() == before)

            // A good file swaps in.
            try second.save(to: path)
            let reloaded = try await client.execute(uri: "/admin/reload", method: .post)
            #expect(reloaded.status == .ok)
            #expect(try reloaded.decoded(ReloadJSON.self).generation == 2)
            #expect(try await served() == after)
            #expect(try await client.execute(uri: "/health", method: .get).decoded(HealthJSON.self).generation == 2)
        }
    }

    /// A FIFO, a directory or a missing file at the model path once hung the reload (the open
    /// blocked on the FIFO) and left every later reload answering 409 for ever.
    @Test func specialFilesAtTheModelPathAreRefusedWithoutWedgingReloads() async throws {
        let first = try Fixtures.small.get(), second = try Fixtures.retrained.get()
        let (folder, path, store) = try Fixtures.served(first)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await Fixtures.app(store).test(.live) { client in
            for (kind, make) in [("a FIFO (named pipe)", { mkfifo(path, 0o644) }), ("a directory", { mkdir(path, 0o755) })] {
                try FileManager.default.removeItem(atPath: path)
                #expect(make() == 0)
                let started = Date()
                let refused = try await client.execute(uri: "/admin/reload", method: .post)
                #expect(Date().timeIntervalSince(started) < 5, "the reload of \(kind) took \(Date().timeIntervalSince(started)) s")
                #expect(refused.status == .unprocessableContent)
                #expect(try refused.decoded(ErrorBody.self).error.message.contains("is \(kind), not a regular file"))
            }
            try FileManager.default.removeItem(atPath: path)
            #expect(try await client.execute(uri: "/admin/reload", method: .post).status == .unprocessableContent)  // missing
            // The real file back: the next reload swaps it in (no stuck "reload_running").
            try second.save(to: path)
            let reloaded = try await client.execute(uri: "/admin/reload", method: .post)
            #expect(reloaded.status == .ok)
            #expect(try reloaded.decoded(ReloadJSON.self).generation == 2)
        }
    }

    @Test func requestsDuringReloadsAllSucceed() async throws {
        let first = try Fixtures.small.get(), second = try Fixtures.retrained.get()
        let (folder, path, store) = try Fixtures.served(first)
        defer { try? FileManager.default.removeItem(at: folder) }
        let users = first.userIDs.rawIDs
        try await Fixtures.app(store).test(.live) { client in
            let statuses = try await withThrowingTaskGroup(of: [UInt16].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var seen: [UInt16] = []
                        for i in 0..<60 {
                            let user = users[(worker * 60 + i) % users.count]
                            seen.append(UInt16(try await client.execute(uri: "/recommend?user=\(user)&k=10", method: .get).status.code))
                        }
                        return seen
                    }
                }
                group.addTask {
                    var seen: [UInt16] = []
                    for round in 0..<6 {
                        // Saving is atomic (rename), so the server never opens a half-written file.
                        try (round.isMultiple(of: 2) ? second : first).save(to: path)
                        seen.append(UInt16(try await client.execute(uri: "/admin/reload", method: .post).status.code))
                    }
                    return seen
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == 4 * 60 + 6)
            #expect(statuses.allSatisfy { $0 == 200 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            #expect(try await client.execute(uri: "/health", method: .get).decoded(HealthJSON.self).generation == 7)
        }
    }

    @Test func reloadWithoutAModelFileIsAConflict() async throws {
        try await Fixtures.app(ModelStore(recommender: try Fixtures.small.get())).test(.live) { client in
            let response = try await client.execute(uri: "/admin/reload", method: .post)
            #expect(response.status == .conflict)
            #expect(try response.decoded(ErrorBody.self).error.code == "no_model_file")
        }
    }

    /// The router test framework has no socket, so its peer address is unknown: not loopback.
    @Test func reloadFromAnUnknownPeerIsForbidden() async throws {
        try await Fixtures.app(ModelStore(recommender: try Fixtures.small.get())).test(.router) { client in
            let response = try await client.execute(uri: "/admin/reload", method: .post)
            #expect(response.status == .forbidden)
            #expect(try response.decoded(ErrorBody.self).error.code == "loopback_only")
        }
    }

    @Test func loopbackAddresses() throws {
        #expect(try SocketAddress(ipAddress: "127.0.0.1", port: 1).isLoopbackPeer)
        #expect(try SocketAddress(ipAddress: "127.8.9.10", port: 1).isLoopbackPeer)
        #expect(try SocketAddress(ipAddress: "::1", port: 1).isLoopbackPeer)
        #expect(try !SocketAddress(ipAddress: "10.0.0.1", port: 1).isLoopbackPeer)
        #expect(try !SocketAddress(ipAddress: "192.168.1.20", port: 1).isLoopbackPeer)
        #expect(try !SocketAddress(ipAddress: "2001:db8::1", port: 1).isLoopbackPeer)
    }
}
