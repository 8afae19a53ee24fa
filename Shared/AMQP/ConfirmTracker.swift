/// Publisher-confirm bookkeeping of one publishing channel, without I/O: the connection thread tells it what it
/// sent and what the broker answered, and it says whose publish is settled and how (PostgresNIO's shape: a state
/// machine that returns actions, performed by the loop). `Waiter` is whatever the loop resumes — a continuation
/// there, a number in the tests.
///
/// Sequence numbers follow the broker's: the first publish after `confirm.select` is 1. An entry whose caller
/// was already answered (a timeout, a blocked connection) stays until its confirm arrives, so a late confirm is
/// matched and dropped instead of settling a later publish.
struct ConfirmTracker<Waiter> {
    /// How one publish ended, for its caller.
    enum Settlement {
        /// The broker took responsibility for it (`basic.ack`).
        case confirmed
        /// The broker acked it after returning it as unroutable (`basic.return`, then `basic.ack`).
        case returned(reason: String)
        /// The broker refused it (`basic.nack`).
        case nacked
    }

    private struct Entry {
        /// Nil once the caller was answered; the entry stays until the broker confirms.
        var waiter: Waiter?
        /// When the caller gets a timeout.
        let deadline: ContinuousClock.Instant
        /// The id it was sent with, to match a `basic.return`.
        let messageID: String
        /// Set by a `basic.return`; the ack that follows settles it as `.returned`.
        var returnReason: String?
    }

    /// Sent, unconfirmed publishes by sequence number.
    private var entries: [UInt64: Entry] = [:]
    /// Every sequence number below this is settled; makes `multiple` acks amortized O(1).
    private var lowestUnconfirmed: UInt64 = 1
    /// The sequence number of the next publish.
    private(set) var nextSequence: UInt64 = 1
    /// Unconfirmed sequence numbers per message id, oldest first, for matching `basic.return`.
    private var sequencesByMessageID: [String: [UInt64]] = [:]

    /// Publishes sent and not confirmed yet (answered callers included): what counts against the confirm window.
    var count: Int { entries.count }

    /// Starts numbering again at 1, as the broker does after `confirm.select` on a new channel. Only valid when
    /// nothing is outstanding (after `failAll`, or on a fresh connection).
    mutating func restart() {
        assert(entries.isEmpty, "confirm numbering restarted with publishes outstanding")
        nextSequence = 1
        lowestUnconfirmed = 1
    }

    /// Records a publish just written to the channel; returns its sequence number.
    @discardableResult
    mutating func sent(messageID: String, deadline: ContinuousClock.Instant, waiter: Waiter) -> UInt64 {
        let sequence = nextSequence
        nextSequence += 1
        entries[sequence] = Entry(waiter: waiter, deadline: deadline, messageID: messageID)
        sequencesByMessageID[messageID, default: []].append(sequence)
        return sequence
    }

    /// A `basic.ack` or `basic.nack` for `tag` (and, with `multiple`, every earlier one): the callers to answer,
    /// oldest first. Publishes whose callers were already answered settle silently.
    mutating func confirm(tag: UInt64, multiple: Bool, nacked: Bool) -> [(Waiter, Settlement)] {
        var settled: [(Waiter, Settlement)] = []
        func settle(_ sequence: UInt64) {
            guard let entry = entries.removeValue(forKey: sequence) else { return }
            if let index = sequencesByMessageID[entry.messageID]?.firstIndex(of: sequence) {
                sequencesByMessageID[entry.messageID]?.remove(at: index)
                if sequencesByMessageID[entry.messageID]?.isEmpty == true {
                    sequencesByMessageID[entry.messageID] = nil
                }
            }
            guard let waiter = entry.waiter else { return }
            if let reason = entry.returnReason {
                settled.append((waiter, .returned(reason: reason)))
            } else {
                settled.append((waiter, nacked ? .nacked : .confirmed))
            }
        }
        if multiple {
            var sequence = lowestUnconfirmed
            let last = min(tag, nextSequence &- 1)
            while sequence <= last {
                settle(sequence)
                sequence += 1
            }
        } else {
            settle(tag)
        }
        while lowestUnconfirmed < nextSequence && entries[lowestUnconfirmed] == nil {
            lowestUnconfirmed += 1
        }
        return settled
    }

    /// A `basic.return` of a message with this id: marks the oldest unconfirmed publish with it that is not
    /// marked yet (the broker sends the return before the ack). False when none matches.
    mutating func returned(messageID: String?, reason: String) -> Bool {
        guard let messageID, let sequences = sequencesByMessageID[messageID] else { return false }
        for sequence in sequences where entries[sequence] != nil && entries[sequence]?.returnReason == nil {
            entries[sequence]?.returnReason = reason
            return true
        }
        return false
    }

    /// The callers whose deadline passed by `now`, detached from their entries (which wait for the confirm).
    mutating func expire(now: ContinuousClock.Instant) -> [Waiter] {
        var expired: [Waiter] = []
        for (sequence, entry) in entries where entry.deadline <= now {
            if let waiter = entry.waiter {
                expired.append(waiter)
                entries[sequence]?.waiter = nil
            }
        }
        return expired
    }

    /// Every caller still waiting, detached from its entry (the broker blocked the connection: they are told now,
    /// a confirm after the alarm clears is matched and dropped).
    mutating func detachAll() -> [Waiter] {
        var detached: [Waiter] = []
        for sequence in Array(entries.keys) {
            if let waiter = entries[sequence]?.waiter {
                detached.append(waiter)
                entries[sequence]?.waiter = nil
            }
        }
        return detached
    }

    /// Forgets every publish (the channel or the connection is gone: no confirm will come) and restarts the
    /// numbering; returns the callers still waiting, to fail.
    mutating func failAll() -> [Waiter] {
        let waiters = entries.values.compactMap(\.waiter)
        entries = [:]
        sequencesByMessageID = [:]
        nextSequence = 1
        lowestUnconfirmed = 1
        return waiters
    }
}
