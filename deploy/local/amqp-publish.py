#!/usr/bin/env python3
"""Publishes one trigger event over AMQP as a store backend would (docs/amqp-ingestion.md), with pika.

usage: deploy/local/amqp-publish.py AMQP_URL EVENT_JSON [EXCHANGE]
  AMQP_URL   the publisher user's URL (deploy/local/add-publisher prints it); its user name is sent as user_id
  EVENT_JSON the event, as for POST /v1/events
  EXCHANGE   default switchyard.ingest
Exits 0 once the broker has confirmed the message, 1 otherwise (publish the same event again: duplicates are
harmless).
"""
import json
import sys
import urllib.parse

import pika


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    url, body = sys.argv[1], sys.argv[2]
    exchange = sys.argv[3] if len(sys.argv) == 4 else "switchyard.ingest"
    event = json.loads(body)
    user = urllib.parse.unquote(urllib.parse.urlparse(url).username or "")
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()  # basic_publish raises when the broker nacks
        channel.basic_publish(
            exchange=exchange, routing_key="", body=body.encode(),
            properties=pika.BasicProperties(
                type="switchyard.event.v1", user_id=user, message_id=str(event.get("id", "")),
                content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent))
    except pika.exceptions.AMQPError as error:
        print(f"not published: {error!r}", file=sys.stderr)
        sys.exit(1)
    finally:
        if connection.is_open:
            connection.close()
    print(f"published {event.get('id')} to {exchange} as {user}")


if __name__ == "__main__":
    main()
