import Testing

@testable import AMQP

/// The publisher-confirm state machine on its own: what the connection thread hears from the broker, and which
/// caller it answers how.
@Suite("ConfirmTracker: publisher confirms")
struct ConfirmTrackerTests {
    typealias Tracker = ConfirmTracker<Int>
    let later = ContinuousClock.now + .seconds(60)

    /// A tracker with publishes 1…`count` sent, caller n waiting for sequence n, message ids `m<n>`.
    func tracker(sent count: Int) -> Tracker {
        var tracker = Tracker()
        for n in 1...count { tracker.sent(messageID: "m\(n)", deadline: later, waiter: n) }
        return tracker
    }

    /// The callers answered, with what, as text (`1 confirmed`).
    func answered(_ settled: [(Int, Tracker.Settlement)]) -> [String] {
        settled.map { waiter, settlement in
            switch settlement {
            case .confirmed: "\(waiter) confirmed"
            case .nacked: "\(waiter) nacked"
            case .returned(let reason): "\(waiter) returned \(reason)"
            }
        }
    }

    @Test func aMultipleAckSettlesEveryEarlierPublishOnce() {
        var tracker = tracker(sent: 5)
        let settled1 = tracker.confirm(tag: 2, multiple: false, nacked: false)
        #expect(answered(settled1) == ["2 confirmed"])
        let settled2 = tracker.confirm(tag: 4, multiple: true, nacked: false)
        #expect(answered(settled2) == ["1 confirmed", "3 confirmed", "4 confirmed"])
        #expect(tracker.count == 1)
        let settled3 = tracker.confirm(tag: 4, multiple: true, nacked: false)
        #expect(answered(settled3).isEmpty)
        let settled4 = tracker.confirm(tag: 5, multiple: false, nacked: true)
        #expect(answered(settled4) == ["5 nacked"])
        #expect(tracker.count == 0)
    }

    @Test func aMultipleAckBeyondWhatWasSentStopsAtTheLastPublish() {
        var tracker = tracker(sent: 2)
        let settled5 = tracker.confirm(tag: 99, multiple: true, nacked: false)
        #expect(answered(settled5) == ["1 confirmed", "2 confirmed"])
        tracker.sent(messageID: "m3", deadline: later, waiter: 3)
        let settled6 = tracker.confirm(tag: 3, multiple: false, nacked: false)
        #expect(answered(settled6) == ["3 confirmed"])
    }

    @Test func aReturnMarksTheOldestUnmarkedPublishOfItsIDAndItsAckFailsIt() {
        var tracker = Tracker()
        tracker.sent(messageID: "same", deadline: later, waiter: 1)
        tracker.sent(messageID: "same", deadline: later, waiter: 2)
        let matched1 = tracker.returned(messageID: "same", reason: "312 NO_ROUTE")
        #expect(matched1)
        let matched2 = tracker.returned(messageID: "same", reason: "312 NO_ROUTE again")
        #expect(matched2)
        let matched3 = tracker.returned(messageID: "same", reason: "a third")
        #expect(!matched3)
        let matched4 = tracker.returned(messageID: "other", reason: "unknown")
        #expect(!matched4)
        let matched5 = tracker.returned(messageID: nil, reason: "no id")
        #expect(!matched5)
        let settled7 = tracker.confirm(tag: 2, multiple: true, nacked: false)
        #expect(answered(settled7) == ["1 returned 312 NO_ROUTE", "2 returned 312 NO_ROUTE again"])
        let matched6 = tracker.returned(messageID: "same", reason: "after the ack")
        #expect(!matched6)
    }

    @Test func aTimedOutCallerIsAnsweredOnceAndItsLateConfirmIsDropped() {
        var tracker = Tracker()
        let now = ContinuousClock.now
        tracker.sent(messageID: "soon", deadline: now, waiter: 1)
        tracker.sent(messageID: "later", deadline: later, waiter: 2)
        let expired1 = tracker.expire(now: now)
        #expect(expired1 == [1])
        let expired2 = tracker.expire(now: now)
        #expect(expired2.isEmpty)
        // Still counted against the window until the broker answers, then settled without a caller.
        #expect(tracker.count == 2)
        let settled8 = tracker.confirm(tag: 2, multiple: true, nacked: false)
        #expect(answered(settled8) == ["2 confirmed"])
        #expect(tracker.count == 0)
    }

    @Test func aBlockedConnectionDetachesEveryCallerButKeepsTheEntries() {
        var tracker = tracker(sent: 3)
        let detached1 = tracker.detachAll()
        #expect(detached1.sorted() == [1, 2, 3])
        #expect(tracker.count == 3)
        tracker.sent(messageID: "m4", deadline: later, waiter: 4)
        // The confirms of the detached ones arrive after the alarm and must not answer publish 4 early.
        let settled9 = tracker.confirm(tag: 3, multiple: true, nacked: false)
        #expect(answered(settled9).isEmpty)
        let settled10 = tracker.confirm(tag: 4, multiple: false, nacked: false)
        #expect(answered(settled10) == ["4 confirmed"])
    }

    @Test func aLostChannelFailsTheWaitingCallersAndNumberingStartsAgain() {
        var tracker = tracker(sent: 3)
        _ = tracker.expire(now: later)
        tracker.sent(messageID: "m4", deadline: later + .seconds(60), waiter: 4)
        let failed1 = tracker.failAll()
        #expect(failed1 == [4])
        #expect(tracker.count == 0 && tracker.nextSequence == 1)
        tracker.restart()
        let sequence1 = tracker.sent(messageID: "again", deadline: later, waiter: 5)
        #expect(sequence1 == 1)
        let settled11 = tracker.confirm(tag: 1, multiple: false, nacked: false)
        #expect(answered(settled11) == ["5 confirmed"])
    }
}
