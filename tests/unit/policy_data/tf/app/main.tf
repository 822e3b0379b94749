# A tiny Terraform folder for the `launchpad policy` tests: one passing, one failing, one honoured skip, and
# two skips without a reason (checkov reports them skipped; launchpad fails them).

resource "aws_sqs_queue" "good" {
  name                    = "good"
  sqs_managed_sse_enabled = true
}

resource "aws_sqs_queue" "bad" {
  name                    = "bad"
  sqs_managed_sse_enabled = false
}

resource "aws_sqs_queue" "skipped" {
  #checkov:skip=CKV_AWS_27:The queue carries only public build notifications.
  name = "skipped"
}

resource "aws_sqs_queue" "no_reason" {
  #checkov:skip=CKV_AWS_27
  name = "no-reason"
}

resource "aws_sqs_queue" "empty_reason" {
  // checkov:skip=CKV_AWS_27:
  name = "empty-reason"
}
