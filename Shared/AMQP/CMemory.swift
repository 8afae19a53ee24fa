// The C client is this module's own business: nothing it declares leaks into AMQP's interface.
internal import CRabbitMQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Scratch C memory for arguments of one rabbitmq-c call (strings, tables). rabbitmq-c copies what it needs
/// while encoding, so everything is freed with `reset()` right after the call. Used by the connection thread only.
final class CArena {
    /// Blocks to free on `reset()`.
    private var blocks: [UnsafeMutableRawPointer] = []

    /// Copies a string's UTF-8 bytes.
    func bytes(_ string: String) -> amqp_bytes_t {
        var string = string
        return string.withUTF8 { utf8 in copy(UnsafeRawBufferPointer(utf8)) }
    }

    /// Copies raw bytes; empty input gives rabbitmq-c's empty bytes.
    func copy(_ buffer: UnsafeRawBufferPointer) -> amqp_bytes_t {
        guard buffer.count > 0, let base = buffer.baseAddress, let block = malloc(buffer.count) else {
            return amqp_bytes_t(len: 0, bytes: nil)
        }
        block.copyMemory(from: base, byteCount: buffer.count)
        blocks.append(block)
        return amqp_bytes_t(len: buffer.count, bytes: block)
    }

    /// A NUL-terminated copy for the few calls that take C strings (host, vhost, credentials).
    func cString(_ string: String) -> UnsafePointer<CChar>? {
        guard let copy = strdup(string) else { return nil }
        blocks.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    /// Encodes headers or arguments as a field table (keys sorted, for deterministic output); `tables` adds
    /// entries whose values are tables themselves (client capabilities).
    func table(_ entries: [String: AMQPValue], tables: [String: [String: AMQPValue]] = [:]) -> amqp_table_t {
        var fields: [(key: String, value: amqp_field_value_t)] = []
        for (key, value) in entries {
            switch value {
            case .string(let text): fields.append((key, sy_field_utf8(bytes(text))))
            case .int(let number): fields.append((key, sy_field_i64(number)))
            case .bool(let flag): fields.append((key, sy_field_bool(flag ? 1 : 0)))
            }
        }
        for (key, nested) in tables {
            fields.append((key, sy_field_table(table(nested))))
        }
        let size = MemoryLayout<amqp_table_entry_t>.stride * fields.count
        guard !fields.isEmpty, let raw = malloc(size) else { return amqp_table_t(num_entries: 0, entries: nil) }
        blocks.append(raw)
        let typed = raw.bindMemory(to: amqp_table_entry_t.self, capacity: fields.count)
        for (index, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
            (typed + index).initialize(to: amqp_table_entry_t(key: bytes(field.key), value: field.value))
        }
        return amqp_table_t(num_entries: Int32(fields.count), entries: typed)
    }

    /// Frees everything handed out since the last reset.
    func reset() {
        for block in blocks { free(block) }
        blocks.removeAll(keepingCapacity: true)
    }

    deinit { reset() }
}

extension amqp_bytes_t {
    /// The bytes as a (lossily decoded) UTF-8 string.
    var string: String {
        guard let bytes, len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: len), as: UTF8.self)
    }

    /// The bytes, valid as long as the memory rabbitmq-c lent them from (a frame: until the next read).
    var buffer: UnsafeRawBufferPointer {
        guard let bytes, len > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: bytes, count: len)
    }
}

extension amqp_table_t {
    /// The entries whose values `AMQPValue` can represent; others (nested tables, arrays, floats) are skipped.
    var values: [String: AMQPValue] {
        guard num_entries > 0, let entries else { return [:] }
        var result: [String: AMQPValue] = [:]
        for index in 0..<Int(num_entries) {
            let entry = entries + index
            let key = entry.pointee.key.string
            withUnsafePointer(to: &entry.pointee.value) { field in
                var bytes = amqp_bytes_t(len: 0, bytes: nil)
                var number: Int64 = 0
                var flag: Int32 = 0
                if sy_field_as_bytes(field, &bytes) != 0 {
                    result[key] = .string(bytes.string)
                } else if sy_field_as_int(field, &number) != 0 {
                    result[key] = .int(number)
                } else if sy_field_as_bool(field, &flag) != 0 {
                    result[key] = .bool(flag != 0)
                }
            }
        }
        return result
    }
}
