import Foundation
import PostgresNIO

extension LogStore {
    /// Every marketplace, for the first retention pass after a start (later passes look only at those written to).
    public func marketplaceIDs() async throws -> [String] {
        var ids: [String] = []
        for try await id in try await client.query("SELECT id FROM marketplaces", logger: logger).decode(String.self) {
            ids.append(id)
        }
        return ids
    }

    /// Deletes a marketplace's final entries (success, failed, skipped) older than its `keep` newest, in batches of
    /// `batchSize` (attempts cascade), and returns how many went. Entries still in flight (pending, retrying, a
    /// prospect waiting) are never deleted, however old: their action would come back without its event; they go in
    /// a later pass once final. Each statement walks the `(marketplace_id, seq DESC)` index: one to find the
    /// `keep`-th newest seq, then short deletes below it, so ingest never waits behind a long lock.
    @discardableResult
    public func prune(marketplaceID: String, keep: Int, batchSize: Int = 500) async throws -> Int {
        guard keep > 0 else { return 0 }
        let horizonRows = try await client.query(
            """
            SELECT seq FROM log_entries WHERE marketplace_id = \(marketplaceID)
            ORDER BY seq DESC OFFSET \(keep - 1) LIMIT 1
            """, logger: logger)
        var horizon: Int64?
        for try await seq in horizonRows.decode(Int64.self) { horizon = seq }
        guard let horizon else { return 0 }
        var deleted = 0
        while true {
            let rows = try await client.query(
                """
                DELETE FROM log_entries WHERE id IN (
                    SELECT id FROM log_entries WHERE marketplace_id = \(marketplaceID) AND seq < \(horizon)
                        AND status IN ('success', 'failed', 'skipped')
                    ORDER BY seq LIMIT \(batchSize))
                RETURNING 1
                """, logger: logger)
            var count = 0
            for try await _ in rows { count += 1 }
            deleted += count
            if count < batchSize { return deleted }
        }
    }
}
