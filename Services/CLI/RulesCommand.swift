import ArgumentParser

/// `switchyard rules list|create|show|update|enable|disable|delete`.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "When a trigger happens, do an action with an integration.",
        subcommands: [List.self, Create.self, Show.self, Update.self, Enable.self, Disable.self, Delete.self])

    static let columns: [(header: String, key: String)] = [
        ("ID", "id"), ("SCOPE", "scope"), ("PRODUCT", "product_id"), ("TRIGGER", "trigger"),
        ("INTEGRATION", "integration_id"), ("ACTION", "action"), ("DESTINATION", "destination"), ("ENABLED", "enabled"),
    ]

    static func show(_ value: JSONValue) -> String {
        Table.record(value, keys: RulesCommand.columns.map(\.key) + ["created_at", "updated_at"])
    }

    /// The destination flags shared by create and update.
    struct DestinationOptions: ParsableArguments {
        @Option(help: "Destination kind, e.g. url, list, tag.") var destinationKind: String?
        @Option(help: "Destination id in the app, when it has one.") var destinationID: String?
        @Option(help: "Destination name (for a webhook: the URL).") var destinationName: String?
        @Option(help: "The id of the list (audience) a tag or group belongs to; filled in from the catalog otherwise.")
        var destinationParentID: String?

        /// The destination object, or nil when no destination flag was given.
        func destination() throws -> [String: String]? {
            guard destinationKind != nil || destinationName != nil || destinationID != nil || destinationParentID != nil
            else { return nil }
            guard let destinationKind, let destinationName else {
                throw CLIError.usage("--destination-kind and --destination-name go together")
            }
            var destination = ["kind": destinationKind, "name": destinationName]
            if let destinationID { destination["id"] = destinationID }
            if let destinationParentID { destination["parent_id"] = destinationParentID }
            return destination
        }
    }

    /// Lists rules, optionally filtered.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rules.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only rules of this product.") var productID: String?
        @Option(help: "global or product.") var scope: String?
        @Option(help: "Only rules of this trigger.") var trigger: String?

        func run() async throws {
            let answer = try await options.gateway().send(
                .GET, "/v1/rules", query: [("product_id", productID), ("scope", scope), ("trigger", trigger)])
            options.output(answer) { Table.render($0["rules"]?.array ?? [], columns: RulesCommand.columns) }
        }
    }

    /// Creates a rule.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a rule.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "global (every product) or product.") var scope = "global"
        @Option(help: "The product of a product rule.") var productID: String?
        @Option(help: "The trigger type, e.g. product.purchased.") var trigger: String
        @Option(help: "The integration that performs the action.") var integrationID: String
        @Option(help: "The connector's action, e.g. post.") var action: String
        @OptionGroup var destination: DestinationOptions
        @Flag(help: "Create it disabled.") var disabled = false

        func run() async throws {
            guard let target = try destination.destination() else {
                throw CLIError.usage("--destination-kind and --destination-name are required")
            }
            var body: [String: Any] = [
                "scope": scope, "trigger": trigger, "integration_id": integrationID, "action": action,
                "destination": target, "enabled": !disabled,
            ]
            if let productID { body["product_id"] = productID }
            let answer = try await options.gateway().send(.POST, "/v1/rules", body: JSONValue(body))
            options.output(answer, render: RulesCommand.show)
        }
    }

    /// Shows one rule.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one rule.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The rule id.") var id: String

        func run() async throws {
            let answer = try await options.gateway().send(.GET, "/v1/rules/\(id.pathEscaped)")
            options.output(answer, render: RulesCommand.show)
        }
    }

    /// Changes a rule's fields (only those given).
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a rule.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The rule id.") var id: String
        @Option(help: "global or product.") var scope: String?
        @Option(help: "The product of a product rule.") var productID: String?
        @Option(help: "The trigger type.") var trigger: String?
        @Option(help: "The integration.") var integrationID: String?
        @Option(help: "The action.") var action: String?
        @OptionGroup var destination: DestinationOptions

        func run() async throws {
            var body: [String: Any] = [:]
            for (key, value) in [
                ("scope", scope), ("product_id", productID), ("trigger", trigger), ("integration_id", integrationID),
                ("action", action),
            ] {
                if let value { body[key] = value }
            }
            if let target = try destination.destination() { body["destination"] = target }
            guard !body.isEmpty else { throw CLIError.usage("nothing to change: give at least one field flag") }
            try await RulesCommand.patch(id, JSONValue(body), options: options)
        }
    }

    /// Enables a rule.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a rule.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The rule id.") var id: String

        func run() async throws {
            try await RulesCommand.patch(id, JSONValue(["enabled": true]), options: options)
        }
    }

    /// Disables a rule.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a rule.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The rule id.") var id: String

        func run() async throws {
            try await RulesCommand.patch(id, JSONValue(["enabled": false]), options: options)
        }
    }

    /// Sends a `PATCH /v1/rules/{id}` and prints the changed rule: update, enable and disable are all this.
    static func patch(_ id: String, _ body: JSONValue, options: GlobalOptions) async throws {
        let answer = try await options.gateway().send(.PATCH, "/v1/rules/\(id.pathEscaped)", body: body)
        options.output(answer, render: RulesCommand.show)
    }

    /// Deletes a rule.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a rule.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The rule id.") var id: String

        func run() async throws {
            _ = try await options.gateway().send(.DELETE, "/v1/rules/\(id.pathEscaped)")
            options.output(JSONValue(["id": id, "deleted": true])) { _ in "deleted \(id)" }
        }
    }
}
