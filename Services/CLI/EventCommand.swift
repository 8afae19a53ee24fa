import ArgumentParser
import Foundation

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

        func run() async throws {
            let event: JSONValue
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CLIError.usage("cannot read \(file)")
                }
                do {
                    event = try JSONValue(parsing: Array(data))
                } catch {
                    throw CLIError.usage("\(file) is not valid JSON")
                }
            } else {
                var customer: [String: Any] = ["email": email ?? ""]
                if let firstName { customer["first_name"] = firstName }
                if let lastName { customer["last_name"] = lastName }
                var body: [String: Any] = [
                    "id": id ?? "evt_" + UUID().uuidString.lowercased(), "type": type ?? "", "customer": customer,
                    "test": test,
                ]
                if let product {
                    body["product"] = [
                        "id": product, "name": productName ?? product, "price": price, "currency": currency,
                    ]
                }
                if let purchaseKind { body["purchase_kind"] = purchaseKind }
                if let occurredAt { body["occurred_at"] = occurredAt }
                event = JSONValue(body)
            }
            let answer = try await options.gateway().send(.POST, "/v1/events", body: event)
            options.output(answer) { Table.record($0, keys: ["event_id", "status"]) }
        }
    }
}
