# Passes CKV_AWS_66 (retention set); fails CKV_AWS_158 (no KMS key) and CKV_AWS_338 (kept under a year).
resource "aws_cloudwatch_log_group" "this" {
  name              = "policy-fixture"
  retention_in_days = 1
}
