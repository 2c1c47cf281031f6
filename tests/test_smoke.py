def test_home_page_renders_with_csrf_meta_and_csp(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'name="csrf-token"' in response.data
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
