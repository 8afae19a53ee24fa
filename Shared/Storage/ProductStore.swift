import Foundation
import Logging
import PostgresNIO
import Synchronization

/// A product of a marketplace as the console lists it: seen in events (with the name the store last sent) or
/// named by product rules.
public struct ProductSummary: Sendable, Equatable {
    /// The store's id of the product.
    public var id: String
    /// The name the store last sent; nil for a product that only rules name.
    public var name: String?
    /// When an event last named it; nil if none has.
    public var lastSeenAt: Date?
    /// How many product rules are for it.
    public var ruleCount: Int
}

/// The products seen in events, written by the matcher as it handles them. A product is written when it is new
/// to this process, renamed, or last written more than `refreshAfter` ago, so a busy product costs one write a
/// minute rather than one per event; writes of events handled together share one statement.
public struct ProductStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    private let writer: BatchWriter<[SeenProduct], Void>
    private let recent: RecentlySeen

    /// One product named by one event.
    public struct SeenProduct: Sendable, Hashable {
        var marketplaceID: String
        var id: String
        var name: String?
        var at: Date
    }

    /// A store on `client`; a product already written by this process is written again after `refreshAfter`.
    public init(client: PostgresClient, refreshAfter: Duration = .seconds(60), logger: Logger) {
        self.client = client
        self.logger = logger
        recent = RecentlySeen(refreshAfter: refreshAfter)
        writer = BatchWriter { batches in
            // One row per product in a statement: ON CONFLICT cannot update the same row twice.
            var latest: [String: SeenProduct] = [:]
            for product in batches.joined() {
                let key = "\(product.marketplaceID)\u{0}\(product.id)"
                if let known = latest[key], known.at > product.at { continue }
                latest[key] = product
            }
            try await client.run(UpsertProducts(products: Array(latest.values)), logger: logger)
            return batches.map { _ in () }
        }
    }

    /// Upserts the products, keeping the latest name and time; prepared once per connection.
    struct UpsertProducts: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO products (marketplace_id, id, name, last_seen_at)
            SELECT m, i, nullif(n, ''), t FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS u(m, i, n, t)
            ON CONFLICT (marketplace_id, id) DO UPDATE
            SET name = CASE WHEN excluded.last_seen_at >= products.last_seen_at
                            THEN coalesce(excluded.name, products.name) ELSE products.name END,
                last_seen_at = greatest(products.last_seen_at, excluded.last_seen_at)
            """
        let products: [SeenProduct]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(products.map(\.marketplaceID))
            bindings.append(products.map(\.id))
            // No product is named "": the empty string stands for "no name" (arrays bind without NULLs).
            bindings.append(products.map { $0.name ?? "" })
            bindings.append(products.map(\.at))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Notes that an event named these products (id and name) at `at`.
    public func saw(marketplaceID: String, products: [(id: String, name: String?)], at: Date) async throws {
        let due = products.filter { recent.isDue(marketplaceID: marketplaceID, id: $0.id, name: $0.name) }
        guard !due.isEmpty else { return }
        do {
            try await writer.submit(
                due.map { SeenProduct(marketplaceID: marketplaceID, id: $0.id, name: $0.name, at: at) })
        } catch {
            for product in due { recent.forget(marketplaceID: marketplaceID, id: product.id) }
            throw error
        }
    }

    /// The marketplace's products: seen in events or named by product rules, most recently seen first, then by
    /// id; at most `limit`.
    public func list(marketplaceID: String, limit: Int = 1000) async throws -> [ProductSummary] {
        let rows = try await client.query(
            """
            WITH seen AS (
                SELECT id, name, last_seen_at FROM products WHERE marketplace_id = \(marketplaceID)
            ), ruled AS (
                SELECT product_id AS id, count(*)::bigint AS rule_count FROM rules
                WHERE marketplace_id = \(marketplaceID) AND scope = 'product' GROUP BY product_id
            )
            SELECT coalesce(seen.id, ruled.id), seen.name, seen.last_seen_at, coalesce(ruled.rule_count, 0)
            FROM seen FULL JOIN ruled ON seen.id = ruled.id
            ORDER BY seen.last_seen_at DESC NULLS LAST, 1
            LIMIT \(limit)
            """, logger: logger)
        var products: [ProductSummary] = []
        for try await (id, name, lastSeenAt, ruleCount) in rows.decode((String, String?, Date?, Int64).self) {
            products.append(ProductSummary(id: id, name: name, lastSeenAt: lastSeenAt, ruleCount: Int(ruleCount)))
        }
        return products
    }
}

/// Which products this process wrote lately, with the name it wrote.
private final class RecentlySeen: Sendable {
    private struct Written { var name: String?; var at: ContinuousClock.Instant }
    private let written = Mutex<[String: Written]>([:])
    private let refreshAfter: Duration

    init(refreshAfter: Duration) { self.refreshAfter = refreshAfter }

    /// True when the product must be written (new here, renamed, or written too long ago); notes it as written.
    func isDue(marketplaceID: String, id: String, name: String?) -> Bool {
        let key = "\(marketplaceID)\u{0}\(id)"
        let now = ContinuousClock.now
        return written.withLock { written in
            if let known = written[key], known.name == name || name == nil, now - known.at < refreshAfter {
                return false
            }
            // Bounded: at worst a forgotten product is written once more.
            if written.count >= 100_000 { written.removeAll(keepingCapacity: true) }
            written[key] = Written(name: name ?? written[key]?.name, at: now)
            return true
        }
    }

    func forget(marketplaceID: String, id: String) {
        _ = written.withLock { $0.removeValue(forKey: "\(marketplaceID)\u{0}\(id)") }
    }
}
