"""A small single-page shop on 127.0.0.1, the target of record-har.mjs.

The page calls a JSON API the way a real front end does, so a browser session against
it produces the traffic mix that browsers send to APIs: HTML, scripts, JSON reads and
writes, a form login and path parameters of several shapes.
"""

import os
import uuid

from flask import Flask, Response, jsonify, request

app = Flask(__name__)

PRODUCTS = {
    101: {"id": 101, "name": "Rust in Action", "price": 39.5, "category": "books", "tags": ["rust", "systems"]},
    102: {"id": 102, "name": "HTTP: The Definitive Guide", "price": 44.0, "category": "books", "tags": ["http"]},
    203: {"id": 203, "name": "Mechanical keyboard", "price": 120.0, "category": "hardware", "tags": []},
}
ORDER_ID = uuid.UUID("5f0c2a9e-8b1d-4c4e-9a59-0c3f3a1e2b7d")
CART = []

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Shop</title><script src="/static/app.js" defer></script></head>
<body>
  <h1>Shop</h1>
  <form id="login"><input name="username" aria-label="User name"><input name="password" type="password" aria-label="Password">
    <button id="login-button" type="submit">Log in</button></form>
  <button id="books">Books</button> <button id="hardware">Hardware</button>
  <ul id="products"></ul>
  <button id="order">Last order</button> <button id="search">Search</button>
  <pre id="out"></pre>
</body>
</html>"""

SCRIPT = """
const out = document.getElementById('out');
async function show(response) { out.textContent = JSON.stringify(await response.json(), null, 2); }
document.getElementById('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new URLSearchParams(new FormData(event.target));
  await show(await fetch('/api/session', {method: 'POST', body: form}));
  await show(await fetch('/api/users/me', {headers: {Authorization: 'Bearer ' + sessionStorage.token}}));
});
async function category(name) {
  const response = await fetch('/api/products?category=' + name + '&page=1');
  const list = await response.json();
  const ul = document.getElementById('products');
  ul.innerHTML = '';
  for (const product of list.items) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.textContent = product.name;
    button.id = 'product-' + product.id;
    button.addEventListener('click', async () => {
      await show(await fetch('/api/products/' + product.id));
      await show(await fetch('/api/cart/items', {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({product_id: product.id, quantity: 1, gift: false, note: null})}));
    });
    li.appendChild(button);
    ul.appendChild(li);
  }
}
document.getElementById('books').addEventListener('click', () => category('books'));
document.getElementById('hardware').addEventListener('click', () => category('hardware'));
document.getElementById('order').addEventListener('click', async () =>
  show(await fetch('/api/orders/5f0c2a9e-8b1d-4c4e-9a59-0c3f3a1e2b7d')));
document.getElementById('search').addEventListener('click', async () =>
  show(await fetch('/api/search?q=rust+book')));
"""


@app.get("/")
def index():
    return Response(PAGE, mimetype="text/html")


@app.get("/static/app.js")
def script():
    return Response(SCRIPT, mimetype="application/javascript")


@app.post("/api/session")
def login():
    if request.form.get("password") != "correct horse":
        return jsonify({"error": "invalid credentials"}), 401
    return jsonify({"user": request.form.get("username"), "expires_in": 3600})


@app.get("/api/users/me")
def me():
    return jsonify({"id": 7, "username": "ada", "email": "ada@example.com", "created_at": "2024-05-01T09:30:00Z"})


@app.get("/api/products")
def products():
    category = request.args.get("category", "")
    items = [p for p in PRODUCTS.values() if p["category"] == category]
    return jsonify({"page": int(request.args.get("page", 1)), "items": items})


@app.get("/api/products/<int:product_id>")
def product(product_id):
    found = PRODUCTS.get(product_id)
    if found is None:
        return jsonify({"error": "not found"}), 404
    return jsonify(found)


@app.post("/api/cart/items")
def add_to_cart():
    item = request.get_json()
    CART.append(item)
    return jsonify({"items": len(CART), "last": item}), 201


@app.get("/api/orders/<uuid:order_id>")
def order(order_id):
    return jsonify({"id": str(order_id), "total": 83.5, "shipped": True, "lines": [{"product_id": 101, "quantity": 1}]})


@app.get("/api/search")
def search():
    query = request.args.get("q", "")
    hits = [p for p in PRODUCTS.values() if any(word in p["name"].lower() for word in query.lower().split())]
    return jsonify({"query": query, "hits": hits})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("APP_PORT", "5080")))
