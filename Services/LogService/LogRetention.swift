import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// Keeps the newest `keep` log entries per marketplace and prunes older ones in the background, so ingest never
/// deletes anything itself. The first pass, and every `fullPassEvery`-th, looks at every marketplace; the others
/// only at those this process wrote to since (`noteWritten`), which keeps an idle installation's passes free.
final class LogRetention: Service, Sendable {
    let store: LogStore
    /// Action claims are kept long after any retry could come (`claimsAge`), then pruned in full passes.
    let claims: ClaimLedger?
    static let claimsAge: Duration = .seconds(8 * 24 * 3600)
    let keep: Int
    let interval: Duration
    let logger: Logger
    /// Marketplaces to look at next pass; nil means all of them.
    private let pending = Mutex<Set<String>?>(nil)
    /// Every this many passes is a full one (the first is too).
    static let fullPassEvery = 60
    private let passCount = Mutex(0)

    init(store: LogStore, claims: ClaimLedger? = nil, keep: Int, interval: Duration, logger: Logger) {
        self.store = store
        self.claims = claims
        self.keep = keep
        self.interval = interval
        self.logger = logger
    }

    /// Called after each written batch with the marketplaces it wrote to.
    func noteWritten(_ marketplaceIDs: some Sequence<String>) {
        pending.withLock { set in
            guard set != nil else { return }
            set?.formUnion(marketplaceIDs)
        }
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
            await pass()
        }
    }

    /// One pruning pass. A marketplace whose pruning failed is looked at again next pass.
    func pass() async {
        let passes = passCount.withLock { count in
            count += 1
            return count
        }
        // Every `fullPassEvery` passes, look at every marketplace: another instance may have written to one and
        // stopped before pruning it.
        if passes % Self.fullPassEvery == 0 { pending.withLock { $0 = nil } }
        let taken = pending.withLock { set in
            let taken = set
            set = []
            return taken
        }
        let ids: [String]
        if let taken {
            ids = Array(taken)
        } else {
            if let claims {
                do {
                    try await claims.prune(olderThan: Self.claimsAge)
                } catch {
                    logger.warning("pruning action claims failed", metadata: ["error": "\(error)"])
                }
            }
            do {
                ids = try await store.marketplaceIDs()
            } catch {
                logger.warning("retention pass could not list marketplaces", metadata: ["error": "\(error)"])
                pending.withLock { $0 = nil }
                return
            }
        }
        for id in ids {
            do {
                let deleted = try await store.prune(marketplaceID: id, keep: keep)
                if deleted > 0 {
                    logger.debug("pruned log entries", metadata: ["marketplace_id": "\(id)", "deleted": "\(deleted)"])
                }
            } catch {
                logger.warning("pruning failed", metadata: ["marketplace_id": "\(id)", "error": "\(error)"])
                noteWritten([id])
            }
        }
    }
}
