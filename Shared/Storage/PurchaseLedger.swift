import Foundation
import Logging
import PostgresNIO

/// What the matcher remembers about purchases and orders so that triggers mean what `shared/SPEC.md` §2 says:
/// an order completes once, and a cart-abandonment prospect does not fire for a product the customer bought
/// in the meantime.
public struct PurchaseLedger: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Purchases of the events handled at the same time go out in one statement and one commit.
    private let writer: BatchWriter<[Purchase], Void>

    /// One product bought by one event.
    struct Purchase: Sendable {
        var marketplaceID: String
        var eventID: String
        var productID: String
        var email: String
        var at: Date
    }

    /// Creates a ledger that works through `client`.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        writer = BatchWriter { events in
            try await client.run(InsertPurchases(purchases: events.flatMap { $0 }), logger: logger)
            return events.map { _ in () }
        }
    }

    /// Records purchases; prepared once per connection, since it runs for every batch.
    struct InsertPurchases: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO purchases (marketplace_id, event_id, product_id, customer_email, occurred_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
            ON CONFLICT DO NOTHING
            """
        let purchases: [Purchase]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(purchases.map(\.marketplaceID))
            bindings.append(purchases.map(\.eventID))
            bindings.append(purchases.map(\.productID))
            bindings.append(purchases.map(\.email))
            bindings.append(purchases.map(\.at))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Records that a customer bought these products. Idempotent per (event, product): redeliveries add nothing.
    public func recordPurchase(
        marketplaceID: String, eventID: String, email: String, productIDs: [String], at occurredAt: Date
    ) async throws {
        guard !productIDs.isEmpty else { return }
        let email = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        try await writer.submit(
            productIDs.map { productID in
                Purchase(
                    marketplaceID: marketplaceID, eventID: eventID, productID: productID, email: email, at: occurredAt)
            })
    }

    /// Whether the customer (email trimmed and compared case-insensitively) bought the product at or after `since`.
    public func bought(marketplaceID: String, email: String, productID: String, since: Date) async throws -> Bool {
        let email = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let rows = try await client.query(
            """
            SELECT 1 FROM purchases
            WHERE marketplace_id = \(marketplaceID) AND customer_email = \(email)
              AND product_id = \(productID) AND occurred_at >= \(since)
            LIMIT 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Claims an order for an `order.completed` event. Returns nil when this event owns the order (first claim,
    /// or a redelivery of the same event), otherwise the id of the event that completed the order first.
    public func claimOrder(marketplaceID: String, orderID: String, eventID: String) async throws -> String? {
        let rows = try await client.query(
            """
            WITH claimed AS (
                INSERT INTO completed_orders (marketplace_id, order_id, event_id)
                VALUES (\(marketplaceID), \(orderID), \(eventID))
                ON CONFLICT DO NOTHING
                RETURNING event_id
            )
            SELECT event_id FROM claimed
            UNION ALL
            SELECT event_id FROM completed_orders WHERE marketplace_id = \(marketplaceID) AND order_id = \(orderID)
            """, logger: logger)
        var owner: String?
        for try await id in rows.decode(String.self) where owner == nil { owner = id }
        if owner == nil {
            // A concurrent claim committed after this statement's snapshot: its row is visible now.
            let again = try await client.query(
                """
                SELECT event_id FROM completed_orders WHERE marketplace_id = \(marketplaceID) AND order_id = \(orderID)
                """,
                logger: logger)
            for try await id in again.decode(String.self) { owner = id }
        }
        return owner == eventID ? nil : owner
    }
}
