import Foundation
import Logging
import Messages
import PostgresNIO

/// "When TRIGGER happens, do ACTION with INTEGRATION to DESTINATION", for one product or every product.
public struct Rule: Sendable, Equatable {
    /// Whether the rule applies to one product (`product`, with a `productID`) or to every product (`global`).
    public enum Scope: String, Sendable, Codable, CaseIterable { case global, product }

    /// The rule's id (`rule_…`).
    public var id: String
    /// The marketplace the rule belongs to.
    public var marketplaceID: String
    /// Whether the rule is for one product or every product.
    public var scope: Scope
    /// The product of a product rule; nil for a global rule.
    public var productID: String?
    /// The trigger the rule fires on.
    public var trigger: TriggerType
    /// The integration the action is performed with (`int_…`).
    public var integrationID: String
    /// The action of the integration's connector (`add_tag`).
    public var action: String
    /// Where the action goes in the app.
    public var destination: Destination
    /// Whether the rule fires; a disabled rule is kept but matches nothing.
    public var enabled: Bool
    /// When the rule was created.
    public var createdAt: Date
    /// When the rule last changed.
    public var updatedAt: Date
}

/// A rule together with what the matcher needs to address its integration.
public struct ActiveRule: Sendable, Equatable {
    /// The rule itself.
    public var rule: Rule
    /// The label of the rule's integration, carried into the command's `RuleSnapshot`.
    public var integrationLabel: String
    /// The connector of the rule's integration, which names the queue its commands go to.
    public var connector: String
}

/// Filters of a rule listing; nil means any.
public struct RuleFilter: Sendable {
    /// Rules of this product.
    public var productID: String?
    /// Rules of this scope.
    public var scope: Rule.Scope?
    /// Rules of this trigger.
    public var trigger: TriggerType?

    /// Creates a filter; no filter lists every rule.
    public init(productID: String? = nil, scope: Rule.Scope? = nil, trigger: TriggerType? = nil) {
        self.productID = productID
        self.scope = scope
        self.trigger = trigger
    }
}

/// Rules. Every change bumps the marketplace's `rules_version` in the same transaction, which is how every
/// matcher process knows, on the very next event, that its cached rules are stale.
public struct RuleStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Creates a store that works through `client`.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The fields of a rule that a caller sets, to create one or replace every field of one.
    public struct NewRule: Sendable {
        /// Whether the rule is for one product or every product.
        public var scope: Rule.Scope
        /// The product of a product rule; nil for a global rule (the database refuses any other combination).
        public var productID: String?
        /// The trigger the rule fires on.
        public var trigger: TriggerType
        /// The integration the action is performed with; it must exist.
        public var integrationID: String
        /// The action of the integration's connector (`add_tag`).
        public var action: String
        /// Where the action goes in the app.
        public var destination: Destination
        /// Whether the rule fires.
        public var enabled: Bool

        /// Creates the fields of a rule, every one given.
        public init(
            scope: Rule.Scope, productID: String?, trigger: TriggerType, integrationID: String, action: String,
            destination: Destination, enabled: Bool
        ) {
            self.scope = scope
            self.productID = productID
            self.trigger = trigger
            self.integrationID = integrationID
            self.action = action
            self.destination = destination
            self.enabled = enabled
        }
    }

    /// Stores a new rule. Throws `.notFound` when its integration is gone — deleted after the caller checked it
    /// (the foreign key decides, so a concurrent delete cannot leave a rule without its integration).
    public func create(marketplaceID: String, _ new: NewRule) async throws -> Rule {
        let id = Identifier.random(prefix: "rule")
        let destination = String(decoding: try MessageCoding.encode(new.destination), as: UTF8.self)
        return try await Self.integrationMustExist {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO rules (id, marketplace_id, scope, product_id, trigger, integration_id, action, destination, enabled)
                    VALUES (\(id), \(marketplaceID), \(new.scope.rawValue), \(new.productID), \(new.trigger.rawValue),
                            \(new.integrationID), \(new.action), \(destination)::jsonb, \(new.enabled))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                var created: Rule?
                for try await row in rows { created = try Self.decode(row) }
                try await bumpVersion(marketplaceID: marketplaceID, on: connection)
                guard let created else {
                    throw StorageError(code: .corruptData, message: "the new rule was not returned")
                }
                return created
            }
        }
    }

    /// A foreign-key violation on `integration_id` (SQLSTATE 23503) as `.notFound`: the integration was deleted
    /// between the caller's check and the write.
    static func integrationMustExist<T>(_ write: () async throws -> T) async throws -> T {
        do {
            return try await write()
        } catch {
            guard let failure = DatabaseFailure.underlying(error) as? PSQLError,
                failure.serverInfo?[.sqlState] == "23503"
            else { throw error }
            throw StorageError(code: .notFound, message: "the rule's integration no longer exists", underlying: error)
        }
    }

    /// The marketplace's rules that pass the filter, oldest first.
    public func list(marketplaceID: String, filter: RuleFilter = RuleFilter()) async throws -> [Rule] {
        var sql = "SELECT \(Self.columns) FROM rules WHERE marketplace_id = $1"
        var bindings = PostgresBindings()
        bindings.append(marketplaceID)
        if let productID = filter.productID {
            bindings.append(productID)
            sql += " AND product_id = $\(bindings.count)"
        }
        if let scope = filter.scope {
            bindings.append(scope.rawValue)
            sql += " AND scope = $\(bindings.count)"
        }
        if let trigger = filter.trigger {
            bindings.append(trigger.rawValue)
            sql += " AND trigger = $\(bindings.count)"
        }
        sql += " ORDER BY created_at, id"
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        var rules: [Rule] = []
        for try await row in rows { rules.append(try Self.decode(row)) }
        return rules
    }

    /// The rule if it exists in this marketplace; another marketplace's id reads as not found.
    public func get(marketplaceID: String, id: String) async throws -> Rule? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM rules WHERE marketplace_id = \(marketplaceID) AND id = \(id)",
            logger: logger)
        for try await row in rows { return try Self.decode(row) }
        return nil
    }

    /// Replaces every field of a rule (the caller merged and validated the change); returns nil when the rule
    /// does not exist in this marketplace.
    public func update(marketplaceID: String, id: String, _ changed: NewRule) async throws -> Rule? {
        let destination = String(decoding: try MessageCoding.encode(changed.destination), as: UTF8.self)
        return try await Self.integrationMustExist {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    UPDATE rules SET scope = \(changed.scope.rawValue), product_id = \(changed.productID),
                        trigger = \(changed.trigger.rawValue), integration_id = \(changed.integrationID),
                        action = \(changed.action), destination = \(destination)::jsonb, enabled = \(changed.enabled),
                        updated_at = now()
                    WHERE marketplace_id = \(marketplaceID) AND id = \(id)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                var updated: Rule?
                for try await row in rows { updated = try Self.decode(row) }
                if updated != nil { try await bumpVersion(marketplaceID: marketplaceID, on: connection) }
                return updated
            }
        }
    }

    /// Deletes a rule; returns whether it existed in this marketplace.
    public func delete(marketplaceID: String, id: String) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                "DELETE FROM rules WHERE marketplace_id = \(marketplaceID) AND id = \(id) RETURNING id", logger: logger)
            var deleted = false
            for try await _ in rows { deleted = true }
            if deleted { try await bumpVersion(marketplaceID: marketplaceID, on: connection) }
            return deleted
        }
    }

    /// The enabled rules of a marketplace with their integrations, for the matcher's cache.
    public func activeRules(marketplaceID: String) async throws -> [ActiveRule] {
        let rows = try await client.query(
            """
            SELECT r.id, r.marketplace_id, r.scope, r.product_id, r.trigger, r.integration_id, r.action,
                   r.destination::text, r.enabled, r.created_at, r.updated_at, i.label, i.connector
            FROM rules r JOIN integrations i ON i.id = r.integration_id
            WHERE r.marketplace_id = \(marketplaceID) AND r.enabled
            ORDER BY r.created_at, r.id
            """, logger: logger)
        var result: [ActiveRule] = []
        for try await row in rows {
            let columns = row.makeRandomAccess()
            result.append(
                ActiveRule(
                    rule: try Self.decode(row), integrationLabel: try columns[11].decode(String.self),
                    connector: try columns[12].decode(String.self)))
        }
        return result
    }

    private func bumpVersion(marketplaceID: String, on connection: PostgresConnection) async throws {
        try await Self.bumpVersion(marketplaceID: marketplaceID, on: connection, logger: logger)
    }

    /// Tells every matcher that the marketplace's rules changed; for any transaction that changes what
    /// `activeRules` returns (a rule, or an integration's label or existence).
    static func bumpVersion(marketplaceID: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "UPDATE marketplaces SET rules_version = rules_version + 1 WHERE id = \(marketplaceID)", logger: logger)
    }

    static let columns =
        "id, marketplace_id, scope, product_id, trigger, integration_id, action, destination::text, enabled, created_at, updated_at"

    static func decode(_ row: PostgresRow) throws -> Rule {
        let columns = row.makeRandomAccess()
        let scopeText = try columns[2].decode(String.self)
        let triggerText = try columns[4].decode(String.self)
        guard let scope = Rule.Scope(rawValue: scopeText), let trigger = TriggerType(rawValue: triggerText) else {
            throw StorageError(code: .corruptData, message: "rule has an unknown scope or trigger")
        }
        let destination = try MessageCoding.decode(
            Destination.self, from: Array(try columns[7].decode(String.self).utf8))
        return Rule(
            id: try columns[0].decode(String.self), marketplaceID: try columns[1].decode(String.self), scope: scope,
            productID: try columns[3].decode(String?.self), trigger: trigger,
            integrationID: try columns[5].decode(String.self), action: try columns[6].decode(String.self),
            destination: destination, enabled: try columns[8].decode(Bool.self),
            createdAt: try columns[9].decode(Date.self), updatedAt: try columns[10].decode(Date.self))
    }
}
