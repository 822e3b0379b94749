data "aws_caller_identity" "current" {}

# Trust policy: only the named AWS services may assume the role, and (by default) only on behalf of this
# account, which stops a service acting for another account from being tricked into using it (confused deputy).
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "AllowServiceAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = var.service_principals
    }

    dynamic "condition" {
      for_each = var.source_account_condition ? [data.aws_caller_identity.current.account_id] : []

      content {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name                  = var.name
  path                  = var.path
  description           = var.description
  assume_role_policy    = data.aws_iam_policy_document.trust.json
  permissions_boundary  = var.permissions_boundary_arn
  max_session_duration  = var.max_session_duration
  force_detach_policies = true
  tags                  = var.tags

  lifecycle {
    precondition {
      condition     = !var.attach_policy_json || var.policy_json != null
      error_message = "policy_json is null while attach_policy_json is true: pass a policy document, or set attach_policy_json = false for a role without an inline policy."
    }
  }
}

resource "aws_iam_role_policy" "this" {
  count = var.attach_policy_json ? 1 : 0

  name   = var.name
  role   = aws_iam_role.this.id
  policy = var.policy_json
}

# count, not for_each: the ARNs may be unknown until apply (a policy created in the same configuration).
resource "aws_iam_role_policy_attachment" "this" {
  count = length(var.managed_policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = var.managed_policy_arns[count.index]
}
