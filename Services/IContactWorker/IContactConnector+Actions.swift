import ConnectorKit
import Connectors
import Foundation
import Messages

/// The two actions. Each is a few calls; every call is written into the log entry's request and response.
extension IContactConnector {
    func perform(_ command: ActionCommand, credentials: IntegrationCredentials) async -> ActionResult {
        let started = ContinuousClock.now
        let customer = command.event.customer
        let destination = command.rule.destination
        let listName = Self.label(destination.name, id: destination.id)
        var trail = IContactTrail()
        let verdict: ActionResult.Verdict
        var reason: String
        do throws(ConnectorError) {
            let account = try IContactAccount(stored: credentials.values)
            switch command.rule.action {
            case "add_to_list":
                reason = try await addToList(customer, destination, account, &trail)
            case "remove_from_list":
                reason = try await removeFromList(customer.email, destination, account, &trail)
            default:
                throw ConnectorError(
                    .permanent,
                    "iContact has no action \"\(command.rule.action)\"; a rule can add to a list or unsubscribe from one."
                )
            }
            verdict = .success
        } catch {
            verdict = error.verdict
            let doing =
                command.rule.action == "remove_from_list"
                ? "unsubscribe \(customer.email) from" : "add \(customer.email) to"
            reason = "Could not \(doing) \(listName): \(error.message)"
        }
        if !trail.warnings.isEmpty {
            reason =
                String(reason.dropLast(reason.hasSuffix(".") ? 1 : 0)) + "; iContact warned: "
                + IContactAPI.sentences(trail.warnings)
        }
        logger.debug(
            "iContact action performed",
            metadata: [
                "command_id": "\(command.commandID)", "integration_id": "\(credentials.integrationID)",
                "action": "\(command.rule.action)", "verdict": "\(verdict)",
            ])
        return ActionResult(
            verdict: verdict, reason: reason, request: trail.request, response: trail.response,
            duration: ContinuousClock.now - started)
    }

    /// Finds the contact by email (creating it, with the event's names, when missing) and subscribes it with
    /// status `normal`.
    func addToList(
        _ customer: TriggerEvent.Customer, _ destination: Destination, _ account: IContactAccount,
        _ trail: inout IContactTrail
    ) async throws(ConnectorError) -> String {
        let list = try await resolveList(destination, account, &trail)
        let listName = Self.label(list.name, id: list.id)
        let contactID: String
        let contactNote: String
        if let existing = try await findContact(customer.email, account, &trail) {
            contactID = existing
            contactNote = "existing contact \(existing)"
        } else {
            contactID = try await createContact(customer, account, &trail)
            contactNote = "new contact \(contactID)"
        }
        let answer = try await client.post(
            account.folderPath + "/subscriptions",
            body: [IContactAPI.NewSubscription(contactId: contactID, listId: list.id, status: "normal")],
            as: IContactAPI.Subscriptions.self, login: account.login, trail: &trail)
        // iContact answers 200 even when it subscribed nobody (an unknown list or contact), saying why in warnings.
        guard !answer.subscriptions.isEmpty else { throw Self.notDone("subscribe the contact", answer.warnings) }
        trail.warn(answer.warnings)
        return "Subscribed \(customer.email) to \(listName) in iContact (\(contactNote))."
    }

    /// Sets the subscription to `unsubscribed` (iContact never deletes one). A customer who is not a contact, or not
    /// on the list, is already where the action wants them: that is a success saying nothing needed doing, not a
    /// failure to retry or replay.
    func removeFromList(
        _ email: String, _ destination: Destination, _ account: IContactAccount, _ trail: inout IContactTrail
    ) async throws(ConnectorError) -> String {
        let list = try await resolveList(destination, account, &trail)
        let listName = Self.label(list.name, id: list.id)
        guard let contactID = try await findContact(email, account, &trail) else {
            return "\(email) is not an iContact contact, so not on \(listName): nothing to unsubscribe."
        }
        do throws(ConnectorError) {
            let answer = try await client.post(
                account.folderPath + "/subscriptions/\(list.id)_\(contactID)",
                body: IContactAPI.StatusChange(status: "unsubscribed"), as: IContactAPI.UpdatedSubscription.self,
                login: account.login, trail: &trail)
            trail.warn(answer.warnings)
            return "Unsubscribed \(email) (contact \(contactID)) from \(listName) in iContact."
        } catch  where error.code == .notFound {
            return "\(email) (contact \(contactID)) was never subscribed to \(listName): nothing to unsubscribe."
        }
    }

    /// The id of the contact with this email, searching every status (`status=total`) so that an unsubscribed or
    /// bounced contact is reused rather than created twice.
    func findContact(
        _ email: String, _ account: IContactAccount, _ trail: inout IContactTrail
    ) async throws(ConnectorError) -> String? {
        let found = try await client.get(
            account.folderPath + "/contacts", query: [("email", email), ("status", "total")],
            as: IContactAPI.Contacts.self, login: account.login, trail: &trail)
        return found.contacts.first { $0.email.lowercased() == email.lowercased() }?.contactId?.value
    }

    /// Creates the contact (the body is an array, without `contactId`) and answers its new id.
    func createContact(
        _ customer: TriggerEvent.Customer, _ account: IContactAccount, _ trail: inout IContactTrail
    ) async throws(ConnectorError) -> String {
        func name(_ value: String?) -> String? {
            value.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        let contact = IContactAPI.Contact(
            email: customer.email, firstName: name(customer.firstName), lastName: name(customer.lastName))
        let answer = try await client.post(
            account.folderPath + "/contacts", body: [contact], as: IContactAPI.Contacts.self, login: account.login,
            trail: &trail)
        let created =
            answer.contacts.first { $0.email.lowercased() == customer.email.lowercased() } ?? answer.contacts.first
        guard let id = created?.contactId?.value else { throw Self.notDone("create the contact", answer.warnings) }
        trail.warn(answer.warnings)
        return id
    }

    /// The list a rule names: its id when the catalog gave one, else the list with that name (read from iContact,
    /// kept briefly, read again when the name is not among the kept lists).
    func resolveList(
        _ destination: Destination, _ account: IContactAccount, _ trail: inout IContactTrail
    ) async throws(ConnectorError) -> IContactListDirectory.List {
        if let id = destination.id?.trimmingCharacters(in: .whitespaces), !id.isEmpty {
            return .init(id: id, name: destination.name)
        }
        if let kept = await listDirectory.fresh(account: account.folderPath),
            let found = IContactListDirectory.find(destination.name, in: kept)
        {
            return found
        }
        let lists = try await readLists(account, trail: &trail)
        await listDirectory.store(lists, account: account.folderPath)
        guard let found = IContactListDirectory.find(destination.name, in: lists) else {
            throw ConnectorError(
                .permanent,
                "\(account.displayName) has no list named \"\(destination.name)\"; create it in iContact, or "
                    + "refresh the integration and pick one of its lists.")
        }
        return found
    }

    /// How a reason names a list: by its name, by its id when it has none.
    static func label(_ name: String, id: String?) -> String {
        "the list \"\(name.isEmpty ? id ?? "" : name)\""
    }

    /// A 200 without the contact or subscription asked for: iContact's warnings say why, and the same request
    /// would fare no better later.
    static func notDone(_ what: String, _ warnings: [String]?) -> ConnectorError {
        let said = IContactAPI.sentences(warnings ?? [])
        return ConnectorError(
            .permanent, "iContact did not \(what)" + (said.isEmpty ? "." : ": \(said)"))
    }
}
