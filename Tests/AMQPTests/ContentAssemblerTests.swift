import Testing

@testable import AMQP

/// Frame reassembly on its own: which frames make a whole message, on which channel.
@Suite("ContentAssembler: method, header and body frames")
struct ContentAssemblerTests {
    let delivery = IncomingContent.Kind.delivery(tag: 7, redelivered: true, exchange: "ex", routingKey: "key")

    func properties(_ messageID: String, body: [UInt8] = []) -> AMQPMessage {
        AMQPMessage(body: body, messageID: messageID, type: "t.v1")
    }

    @Test func aBodySplitOverFramesIsWholeOnlyAfterItsLastByte() throws {
        var assembler = ContentAssembler()
        assembler.begin(delivery, on: 3)
        #expect(assembler.header(on: 3, bodySize: 5, properties: properties("m1")) == nil)
        #expect(assembler.body(on: 3, [1, 2]) == nil)
        #expect(assembler.body(on: 3, [3, 4]) == nil)
        let contentResult = assembler.body(on: 3, [5])
        let content = try #require(contentResult)
        #expect(content.kind == delivery)
        #expect(content.message.body == [1, 2, 3, 4, 5])
        #expect(content.message.messageID == "m1" && content.message.type == "t.v1")
        #expect(!assembler.isAssembling(on: 3))
    }

    @Test func anEmptyBodyIsWholeAtItsHeader() throws {
        var assembler = ContentAssembler()
        assembler.begin(.returned(reason: "312 NO_ROUTE"), on: 1)
        let contentResult = assembler.header(on: 1, bodySize: 0, properties: properties("m1"))
        let content = try #require(contentResult)
        #expect(content.kind == .returned(reason: "312 NO_ROUTE") && content.message.body.isEmpty)
        #expect(assembler.body(on: 1, [9]) == nil, "a stray body frame after a whole message became a message")
    }

    @Test func theHeadersPropertiesNeverBringABodyOfTheirOwn() throws {
        var assembler = ContentAssembler()
        assembler.begin(delivery, on: 2)
        _ = assembler.header(on: 2, bodySize: 1, properties: properties("m1", body: [42, 42]))
        let result = assembler.body(on: 2, [1])
        #expect(try #require(result).message.body == [1])
    }

    @Test func interleavedChannelsEachAssembleTheirOwnMessage() throws {
        var assembler = ContentAssembler()
        assembler.begin(delivery, on: 2)
        assembler.begin(.returned(reason: "r"), on: 3)
        _ = assembler.header(on: 2, bodySize: 2, properties: properties("on2"))
        _ = assembler.header(on: 3, bodySize: 2, properties: properties("on3"))
        #expect(assembler.body(on: 3, [30]) == nil)
        #expect(assembler.body(on: 2, [20]) == nil)
        let secondResult = assembler.body(on: 2, [21])
        let second = try #require(secondResult)
        let thirdResult = assembler.body(on: 3, [31])
        let third = try #require(thirdResult)
        #expect(second.message.messageID == "on2" && second.message.body == [20, 21])
        #expect(third.message.messageID == "on3" && third.message.body == [30, 31])
    }

    @Test func framesWithoutAMethodBeforeThemAreDropped() {
        var assembler = ContentAssembler()
        #expect(assembler.header(on: 4, bodySize: 0, properties: properties("m1")) == nil)
        #expect(assembler.body(on: 4, [1]) == nil)
        assembler.begin(delivery, on: 4)
        #expect(assembler.body(on: 4, [1]) == nil, "a body before its header completed a message")
        #expect(!assembler.isAssembling(on: 4))
    }

    @Test func aClosedChannelOrALostConnectionAbandonsWhatWasInProgress() {
        var assembler = ContentAssembler()
        assembler.begin(delivery, on: 2)
        assembler.begin(delivery, on: 3)
        _ = assembler.header(on: 2, bodySize: 1, properties: properties("m1"))
        assembler.discard(channel: 2)
        #expect(assembler.body(on: 2, [1]) == nil)
        #expect(assembler.isAssembling(on: 3))
        assembler.discardAll()
        #expect(!assembler.isAssembling(on: 3))
    }

    @Test func aNewMethodReplacesAMessageLeftUnfinishedOnItsChannel() throws {
        var assembler = ContentAssembler()
        assembler.begin(delivery, on: 2)
        _ = assembler.header(on: 2, bodySize: 10, properties: properties("old"))
        assembler.begin(.returned(reason: "r"), on: 2)
        _ = assembler.header(on: 2, bodySize: 1, properties: properties("new"))
        let contentResult = assembler.body(on: 2, [1])
        let content = try #require(contentResult)
        #expect(content.kind == .returned(reason: "r") && content.message.messageID == "new")
    }
}
