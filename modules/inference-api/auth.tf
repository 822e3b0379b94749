# The people's side of the API: a Cognito user pool whose ID tokens /ask and /feedback accept (the gateway's
# COGNITO_USER_POOLS authorizer), or an existing pool (authentication.user_pool_arn).

locals {
  create_user_pool = var.authentication.user_pool_arn == null
  user_pool_arn    = local.create_user_pool ? aws_cognito_user_pool.this[0].arn : var.authentication.user_pool_arn
  user_pool_id     = local.create_user_pool ? aws_cognito_user_pool.this[0].id : element(split("/", var.authentication.user_pool_arn), 1)
  client_id        = local.create_user_pool ? aws_cognito_user_pool_client.web[0].id : var.authentication.client_id
}

resource "aws_cognito_user_pool" "this" {
  count = local.create_user_pool ? 1 : 0

  name                = "${var.name}-users"
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  # People are invited by an administrator (clinicians of the organisation), never sign themselves up.
  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]

  username_configuration {
    case_sensitive = false
  }

  password_policy {
    minimum_length                   = 14
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    password_history_size            = 5
    temporary_password_validity_days = 3
  }

  # TOTP (an authenticator app); SMS would need an SNS role and is not offered.
  mfa_configuration = var.authentication.mfa_configuration

  software_token_mfa_configuration {
    enabled = true
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  tags = local.tags
}

# The web UI's client: public (a browser keeps no secret); no OAuth flows (no hosted UI). Sign-in flows:
# USER_PASSWORD_AUTH, which the web UI (plain JavaScript, no SDK) and launchpad's Python client use: the
# password goes to Cognito only, over TLS, never to our API, and Cognito still asks for the TOTP code where MFA
# applies (OPTIONAL, once the user has set it up, or ON); USER_SRP_AUTH stays allowed for clients that
# implement SRP (the Amplify libraries); refresh tokens. No admin flow, no custom (Lambda) flow.
resource "aws_cognito_user_pool_client" "web" {
  count = local.create_user_pool ? 1 : 0

  name         = "${var.name}-web"
  user_pool_id = aws_cognito_user_pool.this[0].id

  generate_secret               = false
  explicit_auth_flows           = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  id_token_validity      = 60
  access_token_validity  = 60
  refresh_token_validity = 12
  auth_session_validity  = 3

  token_validity_units {
    id_token      = "minutes"
    access_token  = "minutes"
    refresh_token = "hours"
  }
}
