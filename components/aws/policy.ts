// The least-privilege IAM policy of the django-storages user, as pure data so it can be asserted exactly.

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string[];
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/**
 * Listing of the buckets, and get/put/delete of their objects: nothing else (no ACLs, no bucket settings).
 * s3:AbortMultipartUpload lets a failed multipart upload (sync-files with these credentials) clean up its parts.
 */
export function storagePolicyDocument(bucketArns: readonly string[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ListBuckets", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [...bucketArns] },
            {
                Sid: "ReadWriteObjects",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                Resource: bucketArns.map((arn) => `${arn}/*`),
            },
        ],
    };
}
