import AMQP
import Connectors
import Foundation
import Logging
import Messages
import Storage

/// Answers the gateway's requests to this connector (verify credentials, OAuth, refresh) on the reply queue each
/// request names. A request is acked once answered; one without a reply queue is dropped, since nobody waits.
struct ConnectorRequestServer<C: Connector>: Sendable {
    let connector: C
    let cipher: CredentialCipher
    let integrations: IntegrationStore
    let catalog: CatalogStore
    let connection: AMQPConnection
    let logger: Logger

    func handle(_ delivery: AMQPDelivery) async {
        guard let request = try? delivery.decoded(as: ConnectorRequest.self) else {
            logger.error("unreadable connector request; dropping it")
            delivery.reject(requeue: false)
            return
        }
        guard let replyTo = delivery.message.replyTo, !replyTo.isEmpty else {
            logger.warning(
                "connector request without reply_to; dropping it", metadata: ["request_id": "\(request.requestID)"])
            delivery.ack()
            return
        }
        var requestLogger = logger
        requestLogger[metadataKey: "request_id"] = "\(request.requestID)"
        requestLogger[metadataKey: "operation"] = "\(request.operation.rawValue)"
        let reply = await answer(request, logger: requestLogger)
        do {
            let message = AMQPMessage(
                body: try MessageCoding.encode(reply), messageID: request.requestID, type: ConnectorReply.contract,
                correlationID: request.requestID, persistent: false)
            try await connection.publish(message, exchange: "", routingKey: replyTo)
        } catch {
            // The asker is gone (its reply queue expired) or the broker is: the gateway has answered 503 already.
            requestLogger.info("reply not delivered", metadata: ["error": "\(error)"])
        }
        delivery.ack()
    }

    func answer(_ request: ConnectorRequest, logger: Logger) async -> ConnectorReply {
        do {
            switch request.operation {
            case .verify:
                let account = try await connector.verify(try openCredentials(request.sealedCredentials))
                return try connected(account, to: request)
            case .authorizeURL:
                guard let state = request.state, let redirectURI = request.redirectURI else {
                    throw ConnectorError(.invalidInput, "The request has no OAuth state or redirect URI.")
                }
                let url = try await connector.authorizeURL(state: state, redirectURI: redirectURI)
                return ConnectorReply(requestID: request.requestID, authorizeURL: url)
            case .exchangeCode:
                guard let code = request.code, let redirectURI = request.redirectURI else {
                    throw ConnectorError(.invalidInput, "The request has no OAuth code or redirect URI.")
                }
                return try connected(try await connector.exchange(code: code, redirectURI: redirectURI), to: request)
            case .refresh:
                let counts = try await refresh(request, logger: logger)
                return ConnectorReply(
                    requestID: request.requestID,
                    catalogCounts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }))
            }
        } catch let error as ConnectorError {
            let failure = error.reply
            logger.info("connector request refused", metadata: ["code": "\(failure.code.rawValue)"])
            return ConnectorReply(requestID: request.requestID, error: failure)
        } catch {
            logger.error("connector request failed", metadata: ["error": "\(error)"])
            return ConnectorReply(
                requestID: request.requestID,
                error: .init(
                    code: .unavailable,
                    message:
                        "Switchyard could not complete the request to \(connector.descriptor.displayName) just now; try again."
                ))
        }
    }

    private func connected(_ account: ConnectedAccount, to request: ConnectorRequest) throws -> ConnectorReply {
        ConnectorReply(
            requestID: request.requestID, account: account.account,
            sealedCredentials: try cipher.sealForTransit(credentials: account.credentials))
    }

    private func openCredentials(_ sealed: String?) throws -> [String: String] {
        guard let sealed else {
            throw ConnectorError(.invalidInput, "The request carries no credentials.")
        }
        return try cipher.openFromTransit(sealed)
    }

    /// Reads the app's catalog and stores it; a failure is written to the configuration log (and a refused
    /// credential marks the integration `needs_reconnect`) before it is answered.
    private func refresh(_ request: ConnectorRequest, logger: Logger) async throws -> [DestinationKind: Int] {
        guard let integrationID = request.integrationID,
            let access = try await integrations.access(
                integrationID: integrationID, marketplaceID: request.marketplaceID)
        else {
            throw ConnectorError(.invalidInput, "The integration does not exist (any more).")
        }
        let appName = connector.descriptor.displayName
        let items: [CatalogItem]
        do {
            items = try await connector.catalog(
                credentials: IntegrationCredentials(
                    integrationID: access.integrationID, label: access.label, account: access.account,
                    values: access.credentials))
        } catch let error as ConnectorError {
            let failure = error.reply
            if error.verdict == .needsReconnect {
                _ = try await integrations.markNeedsReconnect(
                    integrationID: access.integrationID, refusedCredentials: access.sealedCredentials,
                    reason:
                        "\(appName) refused the credentials of \"\(access.label)\" during a refresh: reconnect the integration. \(failure.message)"
                )
            }
            try await catalog.recordRefreshFailure(
                integrationID: access.integrationID, message: "Refreshing from \(appName) failed: \(failure.message)")
            throw error
        }
        logger.info(
            "catalog read", metadata: ["integration_id": "\(access.integrationID)", "entries": "\(items.count)"])
        return try await catalog.replace(integrationID: access.integrationID, with: items) { counts in
            let counted = DestinationKind.allCases.compactMap { kind in
                counts[kind].map { "\($0) \(kind.rawValue)\($0 == 1 ? "" : "s")" }
            }
            return "Refreshed from \(appName): \(counted.isEmpty ? "nothing" : counted.joined(separator: ", "))."
        }
    }
}
