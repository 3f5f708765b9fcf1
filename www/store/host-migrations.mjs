// The host API's tables (what a billing panel pushed): products, customers,
// services with their suspension, and sign-on links kept as hashes. Their
// calls go to the shared audit_log (actor_kind 'host'). Numbered after the
// store's own migrations in migrations.mjs.

/** @type {import('./migrations.mjs').Migration} */
export const HOST_MIGRATION = {
  version: 3,
  name: 'host API: products, customers, services, sign-on links',
  sqlite: `
    CREATE TABLE host_products (
      id TEXT PRIMARY KEY,
      policy TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE host_customers (
      id TEXT PRIMARY KEY,
      name TEXT,
      email TEXT,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE host_services (
      id TEXT PRIMARY KEY,
      customer_id TEXT NOT NULL,
      vmid INTEGER NOT NULL UNIQUE,
      type TEXT NOT NULL,
      product TEXT NOT NULL,
      label TEXT,
      suspended INTEGER NOT NULL DEFAULT 0,
      suspend_reason TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX host_services_customer ON host_services (customer_id);
    CREATE TABLE host_sso_links (
      hash TEXT PRIMARY KEY,
      customer_id TEXT NOT NULL,
      service_id TEXT,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX host_sso_links_expiry ON host_sso_links (expires_at);
  `,
  postgres: `
    CREATE TABLE host_products (
      id TEXT PRIMARY KEY,
      policy TEXT NOT NULL,
      updated_at BIGINT NOT NULL
    );
    CREATE TABLE host_customers (
      id TEXT PRIMARY KEY,
      name TEXT,
      email TEXT,
      updated_at BIGINT NOT NULL
    );
    CREATE TABLE host_services (
      id TEXT PRIMARY KEY,
      customer_id TEXT NOT NULL,
      vmid INTEGER NOT NULL UNIQUE,
      type TEXT NOT NULL,
      product TEXT NOT NULL,
      label TEXT,
      suspended INTEGER NOT NULL DEFAULT 0,
      suspend_reason TEXT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    );
    CREATE INDEX host_services_customer ON host_services (customer_id);
    CREATE TABLE host_sso_links (
      hash TEXT PRIMARY KEY,
      customer_id TEXT NOT NULL,
      service_id TEXT,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX host_sso_links_expiry ON host_sso_links (expires_at);
  `,
};
