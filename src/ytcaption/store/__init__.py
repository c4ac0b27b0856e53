"""Where state lives: every DynamoDB, S3, SQS and Step Functions call goes through these modules."""
