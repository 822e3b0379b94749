# The feedback tokens' key (docs/assistant.md, "Feedback tokens"): an HMAC key that never leaves KMS. Its policy
# lets the account administer it and the function's role generate and verify MACs with it, nothing else: no
# other principal of the account can sign a token, whatever its IAM policies say (the account's statement
# leaves out every cryptographic operation). An HMAC_256 key computes HMAC_SHA_256 only, so no kms:MacAlgorithm
# condition is needed.

data "aws_iam_policy_document" "token_key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; administration goes to the account (IAM decides who), which may not use the key.
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only; the only write it grants beyond administration is GenerateMac and VerifyMac to the function's role.
  #checkov:skip=CKV_AWS_356:In a key policy, Resource "*" can only mean the key the policy is attached to.
  statement {
    sid = "AccountAdministersKey"
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:EnableKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListAliases",
      "kms:ListGrants",
      "kms:ListKeyPolicies",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:RevokeGrant",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = ["*"] # in a key policy, "*" is this key

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "FunctionSignsAndVerifiesTokens"
    actions   = ["kms:GenerateMac", "kms:VerifyMac"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.function.arn]
    }
  }
}

resource "aws_kms_key" "token" {
  #checkov:skip=CKV_AWS_7:KMS cannot rotate HMAC keys automatically (rotation applies to symmetric encryption keys only); a new key invalidates every outstanding token, so rotation is a deliberate replacement.
  description              = "launchpad inference-api ${var.name}: signs and verifies the assistant's feedback tokens (HMAC_SHA_256)."
  customer_master_key_spec = "HMAC_256"
  key_usage                = "GENERATE_VERIFY_MAC"
  enable_key_rotation      = false
  deletion_window_in_days  = var.token_key_deletion_window_in_days
  policy                   = data.aws_iam_policy_document.token_key.json

  tags = local.tags
}

resource "aws_kms_alias" "token" {
  name          = "alias/${var.name}-feedback-token"
  target_key_id = aws_kms_key.token.key_id
}
