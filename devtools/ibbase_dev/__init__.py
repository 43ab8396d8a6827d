"""The local stack for development: `ibbase up` (nats-server, the Graph sandbox, gateway and
worker on embedded defaults), `ibbase demo` (a simulated WhatsApp user sending a card), and
the local nats-server helper. Development only: not in the wheel, not in any image."""
