"""A small shop API instrumented with Metlo's Flask middleware (PyPI `metlo` 0.1.5).

Started by metlo_flask_test.py with the collector address and ingest key in the
environment; it listens on 127.0.0.1 only.
"""

import os

from flask import Flask, jsonify, request
from metlo.flask import MetloFlask

app = Flask(__name__)

collector_port = int(os.environ["PALISADE_PORT"])
MetloFlask(
    app,
    "http://127.0.0.1",
    os.environ["PALISADE_INGEST_KEY"],
    BACKEND_PORT=collector_port,
    COLLECTOR_PORT=collector_port,
)

USERS = {
    1: {"id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "roles": ["admin"]},
    2: {"id": 2, "name": "Grace Hopper", "email": "grace@example.com", "roles": []},
    3: {"id": 3, "name": "Alan Turing", "email": "alan@example.com", "roles": ["support"]},
}


@app.get("/users/me")
def current_user():
    return jsonify(USERS[1])


@app.get("/users/<int:user_id>")
def get_user(user_id):
    user = USERS.get(user_id)
    if user is None:
        return jsonify({"error": "not found"}), 404
    return jsonify(user)


@app.get("/users/<int:user_id>/orders")
def list_orders(user_id):
    return jsonify([{"id": user_id * 100 + n, "total": 12.5 * n, "paid": n % 2 == 0} for n in range(1, 3)])


@app.post("/orders")
def create_order():
    order = request.get_json(force=True)
    return jsonify({"id": 901, "items": order.get("items", []), "status": "created"}), 201


@app.get("/products")
def list_products():
    category = request.args.get("category", "all")
    return jsonify({"category": category, "items": [{"sku": "B-1", "price": 9.99}]})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["APP_PORT"]), threaded=True)
