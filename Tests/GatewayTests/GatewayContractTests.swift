import Connectors
import GatewayAPI
import Messages
import Storage
import Testing

/// The gateway's OpenAPI document (`Shared/GatewayAPI/openapi.json`) is the contract; the code keeps its own
/// enums for the pipeline. These tests fail when one of them gains or loses a value the other does not.
@Suite struct GatewayContractTests {
    @Test("the document's trigger types are the pipeline's")
    func triggerTypes() {
        #expect(
            Set(Components.Schemas.TriggerType.allCases.map(\.rawValue))
                == Set(Messages.TriggerType.allCases.map(\.rawValue)))
    }

    @Test("the document's purchase kinds, destination kinds, rule scopes and connector auth are the code's")
    func otherEnumerations() {
        #expect(
            Set(Components.Schemas.PurchaseKind.allCases.map(\.rawValue))
                == Set(TriggerEvent.PurchaseKind.allCases.map(\.rawValue)))
        #expect(
            Set(Components.Schemas.DestinationKind.allCases.map(\.rawValue))
                == Set(Messages.DestinationKind.allCases.map(\.rawValue)))
        #expect(Set(Components.Schemas.RuleScope.allCases.map(\.rawValue)) == Set(Rule.Scope.allCases.map(\.rawValue)))
        #expect(
            Set(Components.Schemas.ConnectorAuth.allCases.map(\.rawValue))
                == Set(ConnectorDescriptor.Auth.allCases.map(\.rawValue)))
    }
}
