import Foundation
import PostgresNIO

/// What a connector worker needs to act for an integration: who it is and its credentials, both as stored
/// (sealed, to tell later whether they changed) and opened.
public struct IntegrationAccess: Sendable {
    /// The integration's id (`int_…`).
    public var integrationID: String
    /// The marketplace the integration belongs to.
    public var marketplaceID: String
    /// The integration's internal label, for the merchant's messages.
    public var label: String
    /// The account the app connected as ("Demo Store (us6)"), if known.
    public var account: String?
    /// `connected`, or `needs_reconnect` once the app refused its credentials.
    public var status: String
    /// The credentials as stored, sealed; passed back to `markNeedsReconnect` when the app refuses them.
    public var sealedCredentials: [UInt8]
    /// The credentials, opened.
    public var credentials: [String: String]
}

extension IntegrationStore {
    /// The integration with its opened credentials, or nil when it no longer exists. With `marketplaceID`, an
    /// integration of another marketplace reads as missing too.
    public func access(integrationID: String, marketplaceID: String? = nil) async throws -> IntegrationAccess? {
        let rows = try await client.query(
            """
            SELECT id, marketplace_id, label, account, status, credentials FROM integrations
            WHERE id = \(integrationID) AND (\(marketplaceID)::text IS NULL OR marketplace_id = \(marketplaceID))
            """, logger: logger)
        for try await (id, marketplace, label, account, status, sealed) in rows.decode(
            (String, String, String, String?, String, Data).self)
        {
            let bytes = Array(sealed)
            return IntegrationAccess(
                integrationID: id, marketplaceID: marketplace, label: label, account: account, status: status,
                sealedCredentials: bytes, credentials: try cipher.openCredentials(bytes))
        }
        return nil
    }

    /// Marks the integration `needs_reconnect` because the app refused `sealedCredentials`, and writes the
    /// configuration log's `needs_reconnect` entry when the status changes (once, however many actions fail).
    ///
    /// Returns false, and changes nothing, when the stored credentials are no longer those: the merchant
    /// reconnected meanwhile, so the refusal was about credentials that are already replaced.
    public func markNeedsReconnect(integrationID: String, refusedCredentials sealedCredentials: [UInt8], reason: String)
        async throws -> Bool
    {
        let sealed = Data(sealedCredentials)
        let rows = try await client.query(
            """
            WITH current AS (
                SELECT id, marketplace_id, label, status FROM integrations
                WHERE id = \(integrationID) AND credentials = \(sealed)
                FOR UPDATE
            ), marked AS (
                UPDATE integrations i SET status = 'needs_reconnect', updated_at = now()
                FROM current c WHERE i.id = c.id AND c.status <> 'needs_reconnect'
                RETURNING i.id, i.marketplace_id, i.label
            ), logged AS (
                INSERT INTO config_log_entries (marketplace_id, integration_id, integration_label, kind, message)
                SELECT marketplace_id, id, label, 'needs_reconnect', \(reason) FROM marked
            )
            SELECT count(*) FROM current
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count > 0 }
        return false
    }
}
