"""usage fast path: the strict, idempotent deduction and the batch as PL/pgSQL functions

One call does what the Python path does in several round trips (services/entitlements/service_layer/usage.py):
claims the Idempotency-Key (or answers the stored replay), reads the pool, takes with the guarded update
(re-reading after a lost race), writes the ledger rows and the daily total, stores the idempotent
response and returns it. A refusal is raised (`entitlements_problem`, the problem as JSON in DETAIL), so
the call's transaction keeps nothing, the key claim included. The response bodies are built here in the
exact bytes Flask writes (compact JSON, sorted keys, trailing newline), so a replay is the same whichever
path answered first.

Revision ID: 86f7ea77a324
Revises: 77ec89802115
Create Date: 2026-11-22 11:40:00
"""
from alembic import op

revision = '86f7ea77a324'
down_revision = '77ec89802115'
branch_labels = None
depends_on = None

PROBLEM = """
CREATE OR REPLACE FUNCTION entitlements_problem(p_problem jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'entitlements_problem', DETAIL = p_problem::text;
END
$$;
"""

# The stored answer of a key this request could not claim (its INSERT … ON CONFLICT DO NOTHING found the
# key taken, after waiting for a racing twin's transaction to end); raises the same problems as
# shared/idempotency.py (still in progress: 409, another body: 422).
REPLAY = """
CREATE OR REPLACE FUNCTION entitlements_replay(p_scope text, p_key text, p_request_hash text,
                                               OUT stored_status integer, OUT stored_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_hash text;
BEGIN
    SELECT k.request_hash, k.status_code, k.response_body INTO v_hash, stored_status, stored_body
      FROM idempotency_keys k WHERE k.scope = p_scope AND k.key = p_key;
    IF NOT FOUND OR stored_status IS NULL THEN
        PERFORM entitlements_problem(jsonb_build_object('status', 409, 'code', 'idempotency_request_in_progress',
                                                        'detail', 'a request with this key is in progress'));
    END IF;
    IF v_hash <> p_request_hash THEN
        PERFORM entitlements_problem(jsonb_build_object('status', 422, 'code', 'idempotency_key_reused',
                                                        'detail', 'this Idempotency-Key was used with a different request body'));
    END IF;
END
$$;
"""

CLAIM_OR_REPLAY = """
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (scope, key, request_hash, created_at)
        VALUES (p_scope, p_key, p_request_hash, p_key_created_at)
        ON CONFLICT (scope, key) DO NOTHING;
        IF NOT FOUND THEN
            SELECT r.stored_status, r.stored_body INTO status_code, body FROM entitlements_replay(p_scope, p_key, p_request_hash) r;
            replayed := true;
            RETURN;
        END IF;
    END IF;
"""

CONSUME = """
CREATE OR REPLACE FUNCTION entitlements_consume(
    p_scope text, p_key text, p_request_hash text, p_key_created_at timestamptz,
    p_tenant_id text, p_product_code text, p_tax_id text, p_uses integer, p_reference text,
    p_now timestamptz, p_today date, p_day date,
    OUT status_code integer, OUT body text, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_ids text[];
    v_rem bigint[];
    v_upu integer;
    v_available bigint;
    v_units bigint;
    v_needed bigint;
    v_take bigint;
    v_left integer;
    v_remaining bigint;
    v_drawn_ids text[] := '{}';
    v_drawn_units bigint[] := '{}';
    v_enterprise boolean;
    i integer;
BEGIN
""" + CLAIM_OR_REPLAY + """
    FOR attempt IN 1..5 LOOP
        -- the pool (the Python path's POOL_READ), and whether the tax ID is an enterprise of the tenant
        SELECT array_agg(l.id ORDER BY l.valid_to, l.id), array_agg(l.remaining::bigint ORDER BY l.valid_to, l.id),
               min(p.units_per_use), sum(l.remaining),
               p_tax_id IS NULL OR EXISTS (SELECT 1 FROM enterprises e WHERE e.tax_id = p_tax_id AND e.tenant_id = p_tenant_id)
          INTO v_ids, v_rem, v_upu, v_available, v_enterprise
          FROM order_lines l JOIN products p ON p.code = l.product_code
         WHERE l.tenant_id = p_tenant_id AND l.kind = 'traffic' AND l.activated AND l.valid_from <= p_today
           AND l.valid_to >= p_today AND l.remaining > 0 AND l.product_code = p_product_code;
        IF v_ids IS NULL THEN
            IF NOT EXISTS (SELECT 1 FROM products WHERE code = p_product_code AND kind = 'traffic') THEN
                PERFORM entitlements_problem(jsonb_build_object('status', 422, 'code', 'validation_failed',
                    'detail', 'request validation failed', 'errors', jsonb_build_object('product_code', jsonb_build_array('unknown traffic product'))));
            END IF;
        END IF;
        IF NOT v_enterprise THEN
            PERFORM entitlements_problem(jsonb_build_object('status', 422, 'code', 'validation_failed',
                'detail', 'request validation failed', 'errors', jsonb_build_object('tax_id', jsonb_build_array('not an enterprise of this tenant'))));
        END IF;
        IF v_ids IS NULL THEN
            PERFORM entitlements_problem(jsonb_build_object('status', 409, 'code', 'insufficient_quota',
                'detail', format('%s uses asked, nothing left', p_uses), 'available', 0));
        END IF;
        v_units := p_uses::bigint * v_upu;
        v_needed := coalesce(v_needed, v_units);
        IF v_needed > v_available THEN
            PERFORM entitlements_problem(jsonb_build_object('status', 409, 'code', 'insufficient_quota',
                'detail', format('%s units needed, %s left', v_needed, v_available), 'available', v_available, 'requested', v_needed));
        END IF;
        v_remaining := v_available;
        FOR i IN 1..cardinality(v_ids) LOOP
            EXIT WHEN v_needed = 0;
            v_take := least(v_rem[i], v_needed);
            CONTINUE WHEN v_take <= 0;
            UPDATE order_lines SET remaining = remaining - v_take WHERE id = v_ids[i] AND remaining >= v_take
            RETURNING remaining INTO v_left;
            EXIT WHEN NOT FOUND;  -- lost a race: read the pool again, keeping what was taken
            v_drawn_ids := v_drawn_ids || v_ids[i];
            v_drawn_units := v_drawn_units || v_take;
            v_needed := v_needed - v_take;
            v_remaining := v_remaining - v_rem[i] + v_left;
        END LOOP;
        IF v_needed = 0 THEN
            INSERT INTO usage_ledger (tenant_id, product_code, tax_id, units, reference, order_line_id, used_at)
            SELECT p_tenant_id, p_product_code, p_tax_id, d.units, p_reference, d.line_id, p_now
              FROM unnest(v_drawn_ids, v_drawn_units) WITH ORDINALITY AS d(line_id, units, n) ORDER BY d.n;
            INSERT INTO usage_daily AS t (tenant_id, product_code, tax_id, day, units, uses)
            VALUES (p_tenant_id, p_product_code, coalesce(p_tax_id, ''), p_day, v_units, p_uses)
            ON CONFLICT (tenant_id, product_code, tax_id, day)
            DO UPDATE SET units = t.units + EXCLUDED.units, uses = t.uses + EXCLUDED.uses;
            body := '{"deducted":' || v_units || ',"product_code":' || to_json(p_product_code)::text
                 || ',"reference":' || coalesce(to_json(p_reference)::text, 'null') || ',"remaining":' || v_remaining
                 || ',"tax_id":' || coalesce(to_json(p_tax_id)::text, 'null') || E'}\\n';
            status_code := 201;
            replayed := false;
            IF p_key IS NOT NULL THEN
                UPDATE idempotency_keys SET status_code = 201, response_body = body WHERE scope = p_scope AND key = p_key;
            END IF;
            RETURN;
        END IF;
    END LOOP;
    PERFORM entitlements_problem(jsonb_build_object('status', 503, 'code', 'try_again', 'detail', 'the pool is too busy right now; retry'));
END
$$;
"""

CONSUME_BATCH = """
CREATE OR REPLACE FUNCTION entitlements_consume_batch(
    p_scope text, p_key text, p_request_hash text, p_key_created_at timestamptz,
    p_tenant_id text, p_client_tax_id text, p_codes text[], p_tax_ids text[], p_uses integer[], p_references text[],
    p_now timestamptz, p_today date, p_day date,
    OUT status_code integer, OUT body text, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_rule_codes text[];
    v_rule_upu integer[];
    v_known text[];
    l_ids text[];
    l_codes text[];
    l_rem bigint[];
    r_ok boolean[];
    r_code text[];
    r_remaining bigint[];
    r_units bigint[];
    d_item integer[] := '{}';
    d_line text[] := '{}';
    d_units bigint[] := '{}';
    v_rule integer;
    v_code text;
    v_needed bigint;
    v_available bigint;
    v_take bigint;
    n integer := cardinality(p_codes);
    i integer;
    j integer;
BEGIN
""" + CLAIM_OR_REPLAY + """
    SELECT array_agg(code), array_agg(units_per_use) INTO v_rule_codes, v_rule_upu
      FROM products WHERE code = ANY(p_codes) AND kind = 'traffic';
    SELECT array_agg(tax_id) INTO v_known FROM enterprises WHERE tenant_id = p_tenant_id AND tax_id = ANY(p_tax_ids);
    -- the pool lines, locked once in drawing order (the order single deductions update in: no deadlock)
    SELECT array_agg(s.id ORDER BY s.valid_to, s.id), array_agg(s.product_code ORDER BY s.valid_to, s.id),
           array_agg(s.remaining::bigint ORDER BY s.valid_to, s.id)
      INTO l_ids, l_codes, l_rem
      FROM (SELECT l.id, l.product_code, l.remaining, l.valid_to FROM order_lines l
             WHERE l.tenant_id = p_tenant_id AND l.kind = 'traffic' AND l.activated AND l.valid_from <= p_today
               AND l.valid_to >= p_today AND l.remaining > 0 AND l.product_code = ANY(v_rule_codes)
             ORDER BY l.valid_to, l.id FOR UPDATE) s;
    r_ok := array_fill(false, ARRAY[n]);
    r_code := array_fill(NULL::text, ARRAY[n]);
    r_remaining := array_fill(NULL::bigint, ARRAY[n]);
    r_units := array_fill(0::bigint, ARRAY[n]);
    FOR i IN 1..n LOOP
        v_code := p_codes[i];
        IF p_client_tax_id IS NOT NULL AND p_tax_ids[i] <> p_client_tax_id THEN
            r_code[i] := 'tax_id_not_allowed';
            CONTINUE;
        END IF;
        v_rule := array_position(v_rule_codes, v_code);
        IF v_rule IS NULL THEN
            r_code[i] := 'unknown_product';
            CONTINUE;
        END IF;
        IF v_known IS NULL OR NOT (p_tax_ids[i] = ANY(v_known)) THEN
            r_code[i] := 'unknown_tax_id';
            CONTINUE;
        END IF;
        v_needed := p_uses[i]::bigint * v_rule_upu[v_rule];
        v_available := 0;
        FOR j IN 1..coalesce(cardinality(l_ids), 0) LOOP
            IF l_codes[j] = v_code THEN
                v_available := v_available + l_rem[j];
            END IF;
        END LOOP;
        IF v_needed > v_available THEN
            r_code[i] := 'insufficient_quota';
            CONTINUE;
        END IF;
        r_ok[i] := true;
        r_units[i] := v_needed;
        r_remaining[i] := v_available - v_needed;
        FOR j IN 1..cardinality(l_ids) LOOP
            EXIT WHEN v_needed = 0;
            IF l_codes[j] = v_code AND l_rem[j] > 0 THEN
                v_take := least(l_rem[j], v_needed);
                l_rem[j] := l_rem[j] - v_take;
                v_needed := v_needed - v_take;
                d_item := d_item || i;
                d_line := d_line || l_ids[j];
                d_units := d_units || v_take;
            END IF;
        END LOOP;
    END LOOP;
    IF cardinality(d_item) > 0 THEN
        UPDATE order_lines o SET remaining = o.remaining - t.drawn
          FROM (SELECT line_id, sum(units) AS drawn FROM unnest(d_line, d_units) AS d(line_id, units) GROUP BY line_id) t
         WHERE o.id = t.line_id AND o.remaining >= t.drawn;
        INSERT INTO usage_ledger (tenant_id, product_code, tax_id, units, reference, order_line_id, used_at)
        SELECT p_tenant_id, p_codes[d.item], p_tax_ids[d.item], d.units, p_references[d.item], d.line_id, p_now
          FROM unnest(d_item, d_line, d_units) WITH ORDINALITY AS d(item, line_id, units, k) ORDER BY d.k;
        INSERT INTO usage_daily AS t (tenant_id, product_code, tax_id, day, units, uses)
        SELECT p_tenant_id, a.code, a.tax_id, p_day, sum(a.units), sum(a.uses)
          FROM unnest(p_codes, p_tax_ids, r_units, p_uses, r_ok) AS a(code, tax_id, units, uses, ok)
         WHERE a.ok GROUP BY a.code, a.tax_id ORDER BY a.code, a.tax_id
        ON CONFLICT (tenant_id, product_code, tax_id, day)
        DO UPDATE SET units = t.units + EXCLUDED.units, uses = t.uses + EXCLUDED.uses;
    END IF;
    SELECT '{"accepted":' || count(*) FILTER (WHERE r.ok) || ',"rejected":' || count(*) FILTER (WHERE NOT r.ok)
           || ',"results":[' || string_agg('{"code":' || coalesce(to_json(r.code)::text, 'null') || ',"index":' || (r.k - 1)
                                            || ',"ok":' || r.ok || ',"remaining":' || coalesce(r.remaining::text, 'null') || '}',
                                            ',' ORDER BY r.k)
           || E']}\\n'
      INTO body
      FROM unnest(r_ok, r_code, r_remaining) WITH ORDINALITY AS r(ok, code, remaining, k);
    status_code := 200;
    replayed := false;
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys SET status_code = 200, response_body = body WHERE scope = p_scope AND key = p_key;
    END IF;
END
$$;
"""

FUNCTIONS = ("entitlements_consume_batch(text, text, text, timestamptz, text, text, text[], text[], integer[], text[], "
             "timestamptz, date, date)",
             "entitlements_consume(text, text, text, timestamptz, text, text, text, integer, text, timestamptz, date, date)",
             "entitlements_replay(text, text, text)",
             "entitlements_problem(jsonb)")


def upgrade() -> None:
    for statement in (PROBLEM, REPLAY, CONSUME, CONSUME_BATCH):
        op.execute(statement)


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
