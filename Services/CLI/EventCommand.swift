import APIClient
import ArgumentParser
import Foundation
import GatewayAPI

/// `switchyard event publish`: one trigger event, from flags or a JSON file.
struct EventCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event", abstract: "Publish trigger events.", subcommands: [Publish.self])

    /// Publishes one event; the gateway answers once the broker has it.
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish an event from flags, or from --file event.json (the API's JSON).")

        @OptionGroup var options: GlobalOptions
        @Option(help: "A JSON file with the whole event; the other event flags are then not allowed.")
        var file: String?
        @Option(help: "The store's event id (default: a new random id).") var id: String?
        @Option(help: "The trigger type, e.g. product.purchased.") var type: String?
        @Option(help: "The customer's email.") var email: String?
        @Option(help: "The customer's first name.") var firstName: String?
        @Option(help: "The customer's last name.") var lastName: String?
        @Option(help: "The product id.") var product: String?
        @Option(help: "The product name (default: the id).") var productName: String?
        @Option(help: "The product price, a decimal string.") var price = "0.00"
        @Option(help: "ISO 4217 currency.") var currency = "USD"
        @Option(help: "primary, upsell, order_bump or payment_option.") var purchaseKind: String?
        @Option(help: "RFC 3339 time it happened (default: now).") var occurredAt: String?
        @Flag(help: "Mark it a test (sandbox) event.") var test = false

        func validate() throws {
            if file != nil {
                guard id == nil, type == nil, email == nil, product == nil else {
                    throw ValidationError("--file replaces --id, --type, --email and --product; give one or the other")
                }
            } else {
                guard type != nil, email != nil else {
                    throw ValidationError("--type and --email are required without --file")
                }
            }
        }

        /// The event the flags or the file describe.
        func event() throws -> Components.Schemas.TriggerEvent {
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CLIError.usage("cannot read \(file)")
                }
                do {
                    return try SwitchyardClient.decoder().decode(Components.Schemas.TriggerEvent.self, from: data)
                } catch {
                    throw CLIError.usage("\(file) is not a trigger event of the API: \(error)")
                }
            }
            return Components.Schemas.TriggerEvent(
                id: id ?? "evt_" + UUID().uuidString.lowercased(),
                _type: try CLIError.parse(type ?? "", as: "--type"),
                occurredAt: try LogsCommand.time(occurredAt, flag: "--occurred-at"), test: test,
                customer: .init(email: email ?? "", firstName: firstName, lastName: lastName),
                product: product.map { .init(id: $0, name: productName ?? $0, price: price, currency: currency) },
                purchaseKind: try purchaseKind.map { try CLIError.parse($0, as: "--purchase-kind") })
        }

        func run() async throws {
            let answer = try await options.gateway().publishEvent(body: .json(try event())).accepted.body.json
            try options.output(answer) { Table.record(["event_id": $0.eventId, "status": $0.status.rawValue]) }
        }
    }
}
