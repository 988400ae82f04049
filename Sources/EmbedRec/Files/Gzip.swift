import CZlib

/// gzip streams (RFC 1952, what `gzip` and most data exports write), inflated through zlib so
/// that a `ratings.csv.gz` loads without unpacking it first. Compression is recognised by the
/// stream's magic bytes, not by the file's name.
package enum Gzip {
    /// Why a stream could not be inflated, for a person.
    package struct Failure: Error { package let reason: String }

    /// True when `bytes` start like a gzip stream (`1f 8b`).
    package static func isCompressed(_ bytes: some Collection<UInt8>) -> Bool {
        var k = bytes.makeIterator()
        return k.next() == 0x1F && k.next() == 0x8B
    }

    /// The inflated bytes of the gzip stream `compressed`, of every member when several were
    /// concatenated (`cat a.gz b.gz`).
    ///
    /// - Parameters:
    ///   - limit: the most bytes to produce: a stream inflating past it fails (a file that
    ///     would not fit in memory, or a "zip bomb") unless `truncated` allows stopping there.
    ///   - truncated: `compressed` is only the start of a stream (a prefix read to detect the
    ///     format): produce what it holds, up to `limit`, and do not ask for its end.
    package static func inflate(_ compressed: [UInt8], limit: Int, truncated: Bool = false) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: a window of 2¹⁵ bytes, gzip header and trailer (not raw deflate or zlib).
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(reason: "zlib could not start: \(stream.msg.map { String(cString: $0) } ?? "no message")")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(1 << 16, compressed.count * 4)))
        let chunk = 1 << 18
        var piece = [UInt8](repeating: 0, count: chunk)
        var failure: Failure?
        compressed.withUnsafeBufferPointer { input in
            // zlib takes a mutable pointer but does not write through next_in.
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            piece.withUnsafeMutableBufferPointer { out in
                while true {
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(chunk)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    let produced = chunk - Int(stream.avail_out)
                    if output.count + produced > limit {
                        if truncated { output.append(contentsOf: out[..<(limit - output.count)]); return }
                        failure = Failure(reason: "it inflates to more than \(limit >> 20) MiB, more than this machine's memory")
                        return
                    }
                    output.append(contentsOf: out[..<produced])
                    switch status {
                    case Z_OK:
                        continue
                    case Z_STREAM_END:
                        // Another member may follow; trailing zero bytes (tape padding) end the file.
                        if stream.avail_in == 0 { return }
                        let rest = UnsafeBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
                        if rest.allSatisfy({ $0 == 0 }) { return }
                        guard inflateReset(&stream) == Z_OK else { failure = Failure(reason: "zlib could not restart"); return }
                    case Z_BUF_ERROR where stream.avail_in == 0:
                        if !truncated { failure = Failure(reason: "the gzip stream is cut short (it ends before its trailer)") }
                        return
                    default:
                        let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                        failure = Failure(reason: "not a valid gzip stream (\(message))")
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
