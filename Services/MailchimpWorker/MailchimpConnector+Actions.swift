import ConnectorKit
import Connectors
import Messages

/// Performing actions: each ends classified, with a sentence and what was sent and answered.
extension MailchimpConnector {
    func perform(_ command: ActionCommand, credentials: IntegrationCredentials) async -> ActionResult {
        let started = ContinuousClock.now
        let transcript = Transcript()
        let verdict: ActionResult.Verdict
        let reason: String
        do {
            reason = try await act(command, credentials: credentials, transcript: transcript)
            verdict = .success
        } catch {
            let failure =
                error as? ConnectorError ?? ConnectorError(network: error, app: "Mailchimp", timeout: settings.timeout)
            verdict = failure.verdict
            reason = failure.message
        }
        logger.debug(
            "Mailchimp action attempted",
            metadata: [
                "command_id": "\(command.commandID)", "integration_id": "\(credentials.integrationID)",
                "action": "\(command.rule.action)", "verdict": "\(verdict)",
            ])
        return ActionResult(
            verdict: verdict, reason: reason, request: transcript.request, response: transcript.response,
            duration: ContinuousClock.now - started)
    }

    private func act(_ command: ActionCommand, credentials: IntegrationCredentials, transcript: Transcript) async throws
        -> String
    {
        let auth = try storedAuth(credentials)
        let person = MailchimpAction.Person(command.event.customer)
        guard !person.email.isEmpty else {
            throw ConnectorError(
                .invalidInput, "The event has no customer email, so there is nobody to act on in Mailchimp.")
        }
        let action = MailchimpAction(api: api, directory: directory, auth: auth, person: person, transcript: transcript)
        let destination = command.rule.destination
        switch command.rule.action {
        case "add_to_list":
            return try await action.addToList(action.audience(of: destination))
        case "remove_from_list":
            return try await action.removeFromList(action.audience(of: destination))
        case "add_tag":
            return try await action.addTag(destination.name, in: action.parentAudience(of: destination))
        case "remove_tag":
            return try await action.removeTag(destination.name, in: action.parentAudience(of: destination))
        case "add_to_group":
            let audience = try await action.parentAudience(of: destination)
            return try await action.addToGroup(action.group(of: destination, in: audience), in: audience)
        case "remove_from_group":
            let audience = try await action.parentAudience(of: destination)
            return try await action.removeFromGroup(action.group(of: destination, in: audience), in: audience)
        default:
            throw ConnectorError(.invalidInput, "Mailchimp has no action \"\(command.rule.action)\"; edit the rule.")
        }
    }
}
