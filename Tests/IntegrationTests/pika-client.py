#!/usr/bin/env python3
"""A store backend's AMQP client, as the ingestion tests use it: pika (PyPI), nothing of Switchyard's.

  pika-client.py publish URL EXCHANGE BODY_FILE [--type T] [--message-id M] [--user-id U] [--routing-key K]
      publishes one persistent message with publisher confirms, as docs/amqp-ingestion.md tells a publisher to;
      prints {"published": true} or {"published": false, "error": "..."}.
  pika-client.py probe URL QUEUE [QUEUE...] --exchange EXCHANGE
      tries what a publisher must not be able to do and prints one JSON object naming, for each attempt, the
      broker's reply code (403 ACCESS_REFUSED when refused) or "allowed".
"""
import json
import sys

import pika
import pika.exceptions


def connect(url):
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 3
    parameters.retry_delay = 1
    return pika.BlockingConnection(parameters)


def refusal(error):
    """The reply code of a channel or connection closed by the broker, else the error's text."""
    if isinstance(error, (pika.exceptions.ChannelClosedByBroker, pika.exceptions.ConnectionClosedByBroker)):
        return error.reply_code
    return f"{type(error).__name__}: {error}"


def publish(url, exchange, body_file, options):
    with open(body_file, "rb") as f:
        body = f.read()
    connection = connect(url)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        properties = pika.BasicProperties(
            content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent,
            type=options.get("--type"), message_id=options.get("--message-id"), user_id=options.get("--user-id"))
        channel.basic_publish(exchange, options.get("--routing-key", ""), body, properties, mandatory=True)
        return {"published": True}
    except Exception as error:  # the test reads what went wrong
        return {"published": False, "error": str(refusal(error))}
    finally:
        if connection.is_open:
            connection.close()


def attempt(url, action):
    """Runs `action(channel)` on a fresh connection; "allowed" or the broker's reply code."""
    connection = connect(url)
    try:
        action(connection.channel())
        return "allowed"
    except Exception as error:
        return refusal(error)
    finally:
        if connection.is_open:
            connection.close()


def probe(url, queues, exchange):
    results = {}
    for queue in queues:
        results[f"get {queue}"] = attempt(url, lambda ch, q=queue: ch.basic_get(q, auto_ack=True))
        results[f"consume {queue}"] = attempt(
            url, lambda ch, q=queue: ch.basic_consume(q, lambda *a: None, auto_ack=True))
        results[f"purge {queue}"] = attempt(url, lambda ch, q=queue: ch.queue_purge(q))
        results[f"delete {queue}"] = attempt(url, lambda ch, q=queue: ch.queue_delete(q))
    results[f"publish to {exchange}"] = attempt(
        url, lambda ch: (ch.confirm_delivery(), ch.basic_publish(exchange, "trigger", b"{}")))
    results["declare a queue"] = attempt(url, lambda ch: ch.queue_declare("publisher-owned-queue"))
    return results


def main(argv):
    command, rest = argv[1], argv[2:]
    positional = [a for i, a in enumerate(rest) if not a.startswith("--") and (i == 0 or not rest[i - 1].startswith("--"))]
    options = {rest[i]: rest[i + 1] for i in range(len(rest) - 1) if rest[i].startswith("--")}
    if command == "publish":
        url, exchange, body_file = positional
        print(json.dumps(publish(url, exchange, body_file, options)))
    elif command == "probe":
        print(json.dumps(probe(positional[0], positional[1:], options["--exchange"])))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
