import EmbedRec
import Foundation
let path = CommandLine.arguments[1]
for _ in 0..<5 {
    let t0 = Date()
    let d = try RatingsLoader.load(path: path, format: .goodbooks, parallelism: CommandLine.arguments.count > 2 ? .sequential : .automatic)
    print(d.count, d.userCount, d.itemCount, Date().timeIntervalSince(t0))
}
let t0 = Date()
let g = try SyntheticRatings.generate(.goodbooks())
print("gen", g.count, g.userCount, g.itemCount, Date().timeIntervalSince(t0), g.meanRating!)
try RatingsWriter.writeCSV(g, to: "/tmp/gb.csv", header: ["book_id","user_id","rating"], columns: [.item, .user, .rating])
for _ in 0..<3 {
    let t0 = Date()
    let d = try RatingsLoader.load(path: "/tmp/gb.csv", format: .goodbooks)
    print(d.count, d.userCount, d.itemCount, Date().timeIntervalSince(t0))
}
