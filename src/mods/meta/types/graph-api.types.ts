/** Graph API answers the connection flow reads (only the fields we use). */

export interface GraphAccessTokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number;
}

export interface GraphAccount {
  id: string;
  name?: string;
  access_token?: string;
  category?: string;
  tasks?: string[];
}

export interface GraphPaged<T> {
  data: T[];
  paging?: { cursors?: { before?: string; after?: string }; next?: string };
}

export interface GraphPageInstagram {
  id: string;
  instagram_business_account?: { id: string; username?: string };
}

export interface GraphSuccess {
  success: boolean;
}

/** A Page a Facebook Login granted, with its Page token (server-side only). */
export interface GrantedPage {
  id: string;
  name: string | null;
  accessToken: string;
  instagram: { id: string; username: string | null } | null;
}
