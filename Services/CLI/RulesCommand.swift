import ArgumentParser
import GatewayAPI

/// `switchyard rules list|create|show|update|enable|disable|delete`.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "When a trigger happens, do an action with an integration.",
        subcommands: [List.self, Create.self, Show.self, Update.self, Enable.self, Disable.self, Delete.self])

    typealias Rule = Components.Schemas.Rule

    static var columns: [Table.Column<Rule>] {
        [
            ("ID", { $0.id }), ("SCOPE", { $0.scope.rawValue }), ("PRODUCT", { $0.productId }),
            ("TRIGGER", { $0.trigger.rawValue }), ("INTEGRATION", { $0.integrationId }), ("ACTION", { $0.action }),
            ("DESTINATION", { describe($0.destination) }), ("ENABLED", { $0.enabled.text }),
        ]
    }

    /// "tag VIP (id 123)": a destination in one cell.
    static func describe(_ destination: Components.Schemas.Destination) -> String {
        var text = "\(destination.kind.rawValue) \(destination.name)"
        if let id = destination.id { text += " (id \(id))" }
        if destination.fromCatalog == false { text += " (typed by hand)" }
        return text
    }

    static func show(_ rule: Rule) -> String {
        Table.record([
            "id": rule.id, "scope": rule.scope.rawValue, "product_id": rule.productId,
            "trigger": rule.trigger.rawValue, "integration_id": rule.integrationId, "action": rule.action,
            "destination": describe(rule.destination), "enabled": rule.enabled.text,
            "created_at": rule.createdAt.rfc3339, "updated_at": rule.updatedAt.rfc3339,
        ])
    }

    /// The destination flags shared by create and update.
    struct DestinationOptions: ParsableArguments {
        @Option(help: "Destination kind, e.g. url, list, tag.") var destinationKind: String?
        @Option(help: "Destination id in the app, when it has one.") var destinationID: String?
        @Option(help: "Destination name (for a webhook: the URL).") var destinationName: String?
        @Option(help: "The id of the list (audience) a tag or group belongs to; filled in from the catalog otherwise.")
        var destinationParentID: String?

        /// The destination, or nil when no destination flag was given.
        func destination() throws -> Components.Schemas.Destination? {
            guard destinationKind != nil || destinationName != nil || destinationID != nil || destinationParentID != nil
            else { return nil }
            guard let destinationKind, let destinationName else {
                throw CLIError.usage("--destination-kind and --destination-name go together")
            }
            return .init(
                kind: try CLIError.parse(destinationKind, as: "--destination-kind"), id: destinationID,
                name: destinationName, parentId: destinationParentID)
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
            let query = Operations.ListRules.Input.Query(
                productId: productID, scope: try scope.map { try CLIError.parse($0, as: "--scope") },
                trigger: try trigger.map { try CLIError.parse($0, as: "--trigger") })
            let answer = try await options.gateway().listRules(query: query).ok.body.json
            try options.output(answer) { Table.render($0.rules, columns: RulesCommand.columns) }
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
            let rule = Components.Schemas.RuleInput(
                scope: try CLIError.parse(scope, as: "--scope"), productId: productID,
                trigger: try CLIError.parse(trigger, as: "--trigger"), integrationId: integrationID, action: action,
                destination: target, enabled: !disabled)
            let answer = try await options.gateway().createRule(body: .json(rule)).created.body.json
            try options.output(answer, render: RulesCommand.show)
        }
    }

    /// Shows one rule.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one rule.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The rule id.") var id: String

        func run() async throws {
            let answer = try await options.gateway().getRule(path: .init(id: id)).ok.body.json
            try options.output(answer, render: RulesCommand.show)
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
            let change = Components.Schemas.RuleChange(
                scope: try scope.map { try CLIError.parse($0, as: "--scope") }, productId: productID,
                trigger: try trigger.map { try CLIError.parse($0, as: "--trigger") }, integrationId: integrationID,
                action: action, destination: try destination.destination())
            guard change != Components.Schemas.RuleChange() else {
                throw CLIError.usage("nothing to change: give at least one field flag")
            }
            try await RulesCommand.patch(id, change, options: options)
        }
    }

    /// Enables a rule.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a rule.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The rule id.") var id: String

        func run() async throws {
            try await RulesCommand.patch(id, .init(enabled: true), options: options)
        }
    }

    /// Disables a rule.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a rule.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The rule id.") var id: String

        func run() async throws {
            try await RulesCommand.patch(id, .init(enabled: false), options: options)
        }
    }

    /// Sends a `PATCH /v1/rules/{id}` and prints the changed rule: update, enable and disable are all this.
    static func patch(_ id: String, _ change: Components.Schemas.RuleChange, options: GlobalOptions) async throws {
        let answer = try await options.gateway().updateRule(path: .init(id: id), body: .json(change)).ok.body.json
        try options.output(answer, render: RulesCommand.show)
    }

    /// Deletes a rule.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a rule.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The rule id.") var id: String

        func run() async throws {
            _ = try await options.gateway().deleteRule(path: .init(id: id)).noContent
            try options.output(Deleted(id: id)) { _ in "deleted \(id)" }
        }
    }
}
