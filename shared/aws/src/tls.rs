//! The HTTPS client every function uses. By default it trusts only the roots AWS service
//! endpoints chain to (Amazon Root CA 1–4 and Starfield Services Root CA G2, built in), so a
//! cold start does not read and parse the system's whole certificate store.

use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Amazon Trust Services roots, as published at https://www.amazontrust.com/repository/.
const AWS_ROOTS_PEM: &str = include_str!("../certs/aws-roots.pem");

/// Which certificate authorities the functions trust.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrustedRoots {
    /// The built-in Amazon Trust Services roots: enough for every AWS endpoint.
    #[default]
    Aws,
    /// The system's store, for a TLS-inspecting proxy or a private endpoint with its own CA.
    System,
}

impl TrustedRoots {
    /// Reads `FOREWARN_TLS_ROOTS`: `aws` (the default) or `system`.
    pub fn parse(value: &str) -> Result<TrustedRoots, String> {
        match value.trim() {
            "aws" => Ok(TrustedRoots::Aws),
            "system" => Ok(TrustedRoots::System),
            other => Err(format!(
                "FOREWARN_TLS_ROOTS must be \"aws\" or \"system\", not {other:?}"
            )),
        }
    }
}

/// An HTTPS client (rustls with aws-lc, as the SDK's default) trusting `roots`.
pub fn http_client(roots: TrustedRoots) -> SharedHttpClient {
    let store = match roots {
        TrustedRoots::Aws => TrustStore::empty().with_pem_certificate(AWS_ROOTS_PEM.as_bytes()),
        TrustedRoots::System => TrustStore::default(),
    };
    let context = TlsContext::builder()
        .with_trust_store(store)
        .build()
        .expect("a TLS context with a trust store only always builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn the_built_in_roots_are_five_parsable_certificates() {
        let certs = CertificateDer::pem_slice_iter(AWS_ROOTS_PEM.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("every PEM block parses");
        assert_eq!(certs.len(), 5);
        for cert in &certs {
            webpki::anchor_from_trusted_cert(cert).expect("each is a usable trust anchor");
        }
    }

    #[test]
    fn the_roots_setting_accepts_aws_and_system_and_names_anything_else() {
        assert_eq!(TrustedRoots::parse("aws"), Ok(TrustedRoots::Aws));
        assert_eq!(TrustedRoots::parse("system"), Ok(TrustedRoots::System));
        let err = TrustedRoots::parse("all").unwrap_err();
        assert!(err.contains("FOREWARN_TLS_ROOTS"), "{err}");
    }
}
